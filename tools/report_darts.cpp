#include "tools/report_darts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "nas/genotype.h"
#include "nas/notation.h"
#include "nn/atomic_file.h"
#include "tensor/error.h"
#include "tools/cell_diagram.h"
#include "tools/progress.h"
#include "tools/run_data.h"
#include "tools/search_display.h"
#include "tools/svg.h"

namespace nf::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string pct(double fraction) {
  if (!std::isfinite(fraction)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * fraction);
  return buf;
}

std::string fixed(double v, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

double number(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

// White -> blue as t goes 0 -> 1.
std::string heat(double t) {
  t = std::clamp(std::isfinite(t) ? t : 0.0, 0.0, 1.0);
  const int r = int(std::lround(255 - t * (255 - 8))), g = int(std::lround(255 - t * (255 - 69))),
            b = int(std::lround(255 - t * (255 - 148)));
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

// The softmax rows of α `name` per epoch: rows[epoch][edge][op].
using Rows = std::vector<std::vector<std::vector<double>>>;

Rows rows_of(const std::vector<json>& alphas, const std::string& name, const fs::path& file) {
  Rows out;
  for (size_t i = 0; i < alphas.size(); ++i) {
    const json& m = alphas[i].at(name);
    NF_CHECK(m.is_array(), file.string(), " line ", i + 1, ": \"", name, "\" is not an array of rows");
    std::vector<std::vector<double>> epoch;
    for (const json& row : m) {
      NF_CHECK(row.is_array(), file.string(), " line ", i + 1, ": \"", name, "\" has a row that is not an array");
      std::vector<double> values;
      for (const json& v : row) {
        NF_CHECK(v.is_number(), file.string(), " line ", i + 1, ": \"", name, "\" has a non-number");
        values.push_back(v.get<double>());
      }
      epoch.push_back(std::move(values));
    }
    out.push_back(std::move(epoch));
  }
  return out;
}

// One heatmap panel per edge (rows: ops, columns: epochs), four panels a row,
// a shared colour scale from the smallest to the largest weight.
std::string alpha_heatmaps(const std::string& name, const Rows& rows, const std::vector<std::string>& ops,
                           const std::vector<std::string>& edges, const std::vector<int64_t>& epochs) {
  const size_t n_epochs = rows.size(), n_edges = edges.size(), n_ops = ops.size();
  double lo = 1, hi = 0;
  for (const auto& e : rows)
    for (const auto& r : e)
      for (double v : r) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!(hi > lo)) hi = lo + 1e-9;
  constexpr int kPerRow = 4;
  constexpr double kLabels = 96, kCellH = 11, kPanelW = 200, kGap = 18, kTitle = 16;
  const double cell_w = kPanelW / double(std::max<size_t>(1, n_epochs));
  const double panel_h = kTitle + kCellH * double(n_ops);
  const size_t panel_rows = (n_edges + kPerRow - 1) / kPerRow;
  const double width = kLabels + kPerRow * (kPanelW + kGap), height = 40 + double(panel_rows) * (panel_h + kGap) + 30;
  Svg svg(width, height, "heatmap", "alpha-" + name);
  svg.text(0, 16, "softmax(α " + name + ") per edge: rows are ops, columns epochs 1.." + std::to_string(n_epochs),
           "title", "start", "font-size=\"13\" font-weight=\"bold\"");
  for (size_t e = 0; e < n_edges; ++e) {
    const double x0 = kLabels + double(e % kPerRow) * (kPanelW + kGap);
    const double y0 = 34 + double(e / kPerRow) * (panel_h + kGap);
    svg.text(x0, y0 + 11, "edge " + edges[e], "panel-title", "start", "font-weight=\"bold\"");
    if (e % kPerRow == 0)
      for (size_t o = 0; o < n_ops; ++o)
        svg.text(kLabels - 6, y0 + kTitle + kCellH * (double(o) + 0.8), ops[o], "op-label", "end", "font-size=\"9\"");
    for (size_t t = 0; t < n_epochs; ++t)
      for (size_t o = 0; o < n_ops; ++o) {
        const double v = e < rows[t].size() && o < rows[t][e].size() ? rows[t][e][o] : NAN;
        const std::string tip = "edge " + edges[e] + ", " + ops[o] + ", epoch " + std::to_string(epochs[t]) + ": " +
                                fixed(v, 4);
        svg.raw("<rect class=\"heat\" x=\"" + fixed(x0 + cell_w * double(t), 2) + "\" y=\"" +
                fixed(y0 + kTitle + kCellH * double(o), 2) + "\" width=\"" + fixed(cell_w + 0.05, 2) +
                "\" height=\"" + fixed(kCellH, 2) + "\" fill=\"" + heat((v - lo) / (hi - lo)) + "\"><title>" +
                xml_escape(tip) + "</title></rect>\n");
      }
    svg.rect(x0, y0 + kTitle, kPanelW, kCellH * double(n_ops), "panel-frame", "fill=\"none\" stroke=\"#999\"");
  }
  // The colour scale.
  const double sy = height - 22;
  for (int k = 0; k < 50; ++k) svg.rect(kLabels + 4 * k, sy, 4.1, 10, "scale", "fill=\"" + heat(k / 49.0) + "\"");
  svg.text(kLabels - 6, sy + 9, fixed(lo, 3), "scale-label", "end");
  svg.text(kLabels + 206, sy + 9, fixed(hi, 3), "scale-label", "start");
  return svg.str();
}

// The last epoch's weights, one row per edge, the largest non-'none' op in bold.
std::string last_epoch_table(const std::vector<std::vector<double>>& last, const std::vector<std::string>& ops,
                             const std::vector<std::string>& edges) {
  std::string h = "<table class=\"alpha\">\n<tr><th>edge</th>";
  for (const auto& op : ops) h += "<th>" + xml_escape(op) + "</th>";
  h += "</tr>\n";
  for (size_t e = 0; e < edges.size() && e < last.size(); ++e) {
    h += "<tr><th>" + xml_escape(edges[e]) + "</th>";
    size_t best = 0;
    for (size_t o = 0; o < last[e].size(); ++o)
      if (ops[o] != "none" && (ops[best] == "none" || last[e][o] > last[e][best])) best = o;
    for (size_t o = 0; o < last[e].size() && o < ops.size(); ++o) {
      const std::string v = fixed(last[e][o], 3);
      h += "<td class=\"num\" style=\"background: " + heat(last[e][o]) + "\">" +
           (o == best ? "<b>" + v + "</b>" : v) + "</td>";
    }
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

}  // namespace

bool is_darts_experiment(const fs::path& dir) {
  return !fs::exists(dir / "trials.jsonl") && fs::exists(dir / "alphas.jsonl");
}

ReportFiles write_darts_report(const fs::path& dir, const ReportOptions& options) {
  NF_CHECK(fs::exists(dir / "config.json"), "no config.json in ", dir.string(), " (not an experiment directory)");
  const fs::path config_path = dir / "config.json", alphas_path = dir / "alphas.jsonl",
                 genotypes_path = dir / "genotypes.jsonl";
  json config;
  {
    std::ifstream in(config_path);
    config = json::parse(in, nullptr, false);
    NF_CHECK(!config.is_discarded() && config.is_object(), config_path.string(), " is not a JSON object");
  }
  const std::vector<json> alphas = load_metrics(alphas_path);
  const std::vector<json> epochs = fs::exists(genotypes_path) ? load_metrics(genotypes_path) : std::vector<json>();

  ReportFiles files;
  files.html = options.out.empty() ? dir / "report.html" : options.out;
  const fs::path out_dir = files.html.has_parent_path() ? files.html.parent_path() : fs::path(".");
  fs::path retrain = options.retrain_dir;
  if (retrain.empty() && fs::exists(dir / "retrain" / "metrics.jsonl")) retrain = dir / "retrain";
  if (!retrain.empty())
    NF_CHECK(fs::exists(retrain / "metrics.jsonl"), "report: no metrics.jsonl in ", retrain.string(),
             " (a `nasforge train` run directory)");
  files.trials = epochs.size();
  files.best_accuracy = epochs.empty() ? NAN : number(epochs.back(), "val_accuracy");

  const std::string space = config.contains("space") && config["space"].is_object()
                                ? config["space"].value("space", std::string("?"))
                                : std::string("?");
  std::string body = "<h1>DARTS search: " + xml_escape(space) + " space</h1>\n<p class=\"sub\">" +
                     xml_escape(fs::absolute(dir).lexically_normal().string()) + "</p>\n";
  double seconds = 0;
  for (const json& e : epochs) seconds += std::isfinite(number(e, "seconds")) ? number(e, "seconds") : 0;
  body += "<table class=\"summary\">\n<tr><th>epochs</th><td>" + std::to_string(epochs.size()) + "</td></tr>\n";
  if (!epochs.empty()) {
    const json& last = epochs.back();
    body += "<tr><th>supernet validation accuracy (last epoch)</th><td><span class=\"best\" id=\"best-accuracy\">" +
            pct(number(last, "val_accuracy")) + "</span></td></tr>\n";
    body += "<tr><th>derived genotype</th><td><code>" + xml_escape(last.value("notation", std::string())) +
            "</code></td></tr>\n";
    body += "<tr><th>derived network</th><td>" + format_count(int64_t(number(last, "params"))) + " params, " +
            format_count(int64_t(number(last, "macs"))) + " MACs, " + fixed(number(last, "latency_ms"), 2) +
            " ms</td></tr>\n";
  }
  body += "<tr><th>search time</th><td>" + format_duration(seconds) + "</td></tr>\n</table>\n";

  // Supernet curves.
  Series train_acc{.name = "train", .color = "#1f77b4"},
      val_acc{.name = "validation", .color = "#ff7f0e"}, train_loss{.name = "train", .color = "#1f77b4"},
      val_loss{.name = "validation", .color = "#ff7f0e"};
  for (const json& e : epochs) {
    const double x = number(e, "epoch");
    auto add = [&](Series& s, const char* key) {
      if (std::isfinite(number(e, key))) s.x.push_back(x), s.y.push_back(number(e, key));
    };
    add(train_acc, "train_accuracy");
    add(val_acc, "val_accuracy");
    add(train_loss, "train_loss");
    add(val_loss, "val_loss");
  }
  for (Series* s : {&train_acc, &val_acc, &train_loss, &val_loss}) s->points = s->x.size() == 1;
  body += "<h2>Supernet training</h2>\n<div class=\"plots\">\n" +
          render_plot({.id = "plot-darts-acc", .title = "Supernet accuracy per epoch", .x_label = "epoch",
                       .y_label = "accuracy", .y_percent = true, .x_integer = true, .series = {train_acc, val_acc}}) +
          render_plot({.id = "plot-darts-loss", .title = "Supernet loss per epoch", .x_label = "epoch",
                       .y_label = "cross-entropy", .x_integer = true, .series = {train_loss, val_loss}}) +
          "</div>\n";

  // α heatmaps: every key of an alphas.jsonl line but epoch, ops and edges is an α.
  if (!alphas.empty()) {
    const json& first = alphas.front();
    NF_CHECK(first.contains("ops") && first["ops"].is_array() && first.contains("edges") && first["edges"].is_array(),
             alphas_path.string(), " line 1: expected \"ops\" and \"edges\" arrays");
    const auto ops = first["ops"].get<std::vector<std::string>>();
    const auto edges = first["edges"].get<std::vector<std::string>>();
    std::vector<int64_t> epoch_numbers;
    for (const json& a : alphas) epoch_numbers.push_back(a["epoch"].get<int64_t>());
    body += "<h2>Architecture weights</h2>\n<p class=\"note\">softmax(α) of every edge after each epoch (hover a "
            "cell for its value); darker is heavier. The derived cell keeps the strongest non-'none' ops.</p>\n";
    for (auto& [name, value] : first.items()) {
      if (name == "epoch" || name == "ops" || name == "edges") continue;
      const Rows rows = rows_of(alphas, name, alphas_path);
      body += "<h3>α " + xml_escape(name) + "</h3>\n<div class=\"plots\">\n" +
              alpha_heatmaps(name, rows, ops, edges, epoch_numbers) + "</div>\n" +
              "<details>\n<summary>Weights after epoch " + std::to_string(epoch_numbers.back()) + "</summary>\n" +
              last_epoch_table(rows.back(), ops, edges) + "</details>\n";
    }
  }

  // The derived cells of the last epoch, and the genotype of every epoch.
  if (!epochs.empty() && epochs.back().contains("genotype")) {
    const nas::Genotype g = epochs.back()["genotype"].get<nas::Genotype>();
    const fs::path dot = out_dir / "best-1.dot";
    nn::write_file_atomic(dot.string(), cell_dot(g, "best-1"));
    files.dots.push_back(dot);
    body += "<h2>Derived cells (epoch " + std::to_string(epochs.back()["epoch"].get<int64_t>()) +
            ")</h2>\n<p><code>" + xml_escape(nas::to_string(g)) +
            "</code> <span class=\"note\">(Graphviz: <a href=\"best-1.dot\">best-1.dot</a>)</span></p>\n"
            "<div class=\"cells\">\n";
    const auto graphs = cell_graphs(g);
    for (size_t c = 0; c < graphs.size(); ++c) body += cell_svg(graphs[c], "best-1-cell-" + std::to_string(c));
    body += "</div>\n<details>\n<summary>Derived genotype per epoch</summary>\n<table>\n<tr><th>epoch</th>"
            "<th>val acc</th><th>params</th><th>genotype</th></tr>\n";
    for (const json& e : epochs)
      body += "<tr><td class=\"num\">" + std::to_string(e.value("epoch", int64_t{0})) + "</td><td class=\"num\">" +
              pct(number(e, "val_accuracy")) + "</td><td class=\"num\">" +
              format_count(int64_t(std::isfinite(number(e, "params")) ? number(e, "params") : 0)) +
              "</td><td><code>" + xml_escape(e.value("notation", std::string())) + "</code></td></tr>\n";
    body += "</table>\n</details>\n";
  }
  if (!retrain.empty()) body += retrain_html(retrain);
  body += config_html(dir, config);
  nn::write_file_atomic(files.html.string(), html_page("nasforge DARTS report", body));
  return files;
}

}  // namespace nf::tools
