#include "tools/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <string>

#include "nas/notation.h"
#include "nn/atomic_file.h"
#include "tensor/error.h"
#include "tools/cell_diagram.h"
#include "tools/progress.h"
#include "tools/report_darts.h"
#include "tools/run_data.h"
#include "tools/search_display.h"
#include "tools/svg.h"

namespace nf::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* kBlue = "#1f77b4";
const char* kGrey = "#8a8a8a";
const char* kGreen = "#2ca02c";
const char* kOrange = "#ff7f0e";
const char* kRed = "#d62728";

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

std::string td(const std::string& text, bool num = false) {
  return std::string(num ? "<td class=\"num\">" : "<td>") + xml_escape(text) + "</td>";
}

std::string code(const std::string& text) { return "<code>" + xml_escape(text) + "</code>"; }

// "trial 5: 91.20% val, 45.9k params, 2.97M MACs" (trials are 1-based for people).
std::string tip(const nas::TrialRecord& t) {
  return "trial " + std::to_string(t.trial + 1) + ": " + pct(t.eval.val_accuracy) + " val, " +
         format_count(t.eval.cost.params) + " params, " + format_count(t.eval.cost.macs) + " MACs, " +
         fixed(t.eval.latency_ms, 2) + " ms\n" + nas::to_string(t.genotype);
}

// Where accuracy axes may start: three interquartile ranges below the lower
// quartile of the successful trials (NaN: no trial lies lower, or too few to
// tell), so that a few diverged trials at chance level do not squash the rest.
double accuracy_floor(const RunData& run) {
  std::vector<double> acc;
  for (const auto& t : run.trials)
    if (!t.eval.failed) acc.push_back(t.eval.val_accuracy);
  if (acc.size() < 8) return NAN;
  std::sort(acc.begin(), acc.end());
  const double q1 = acc[acc.size() / 4], q3 = acc[acc.size() * 3 / 4];
  const double floor = std::floor(100 * (q1 - 3 * std::max(q3 - q1, 0.005))) / 100;
  return floor > acc.front() ? floor : NAN;
}

std::string summary_section(const RunData& run, const std::vector<double>& best) {
  int64_t failed = 0, cached = 0;
  double seconds = 0;
  for (const auto& t : run.trials) {
    failed += t.eval.failed;
    cached += t.cached;
    seconds += t.eval.seconds;
  }
  const double b = best.empty() ? NAN : best.back();
  std::string best_trial = "-";
  for (const auto& t : run.trials)
    if (!t.eval.failed && t.eval.val_accuracy == b) {
      best_trial = std::to_string(t.trial + 1);
      break;
    }
  std::string budget = "-";
  if (run.config.contains("budget") && run.config["budget"].is_object()) {
    const json& bj = run.config["budget"];
    auto number = [&](const char* key) { return bj.contains(key) && bj[key].is_number() ? bj[key].get<double>() : 0.0; };
    std::string parts;
    if (number("trials") > 0) parts = std::to_string(std::llround(number("trials"))) + " trials";
    if (number("seconds") > 0)
      parts += (parts.empty() ? "" : ", ") + format_duration(number("seconds")) + " of trial time";
    if (!parts.empty()) budget = parts;
  }
  std::string h = "<table class=\"summary\">\n";
  auto row = [&](const std::string& k, const std::string& v) { h += "<tr><th>" + k + "</th><td>" + v + "</td></tr>\n"; };
  row("space", xml_escape(run.space()));
  row("strategy", xml_escape(run.strategy()));
  row("seed", run.seed() >= 0 ? std::to_string(run.seed()) : "-");
  row("trials", std::to_string(run.trials.size()) + " (" + std::to_string(failed) + " failed, " +
                    std::to_string(cached) + " cached)");
  row("best validation accuracy",
      "<span class=\"best\" id=\"best-accuracy\">" + pct(b) + "</span> (trial " + best_trial + ")");
  row("trial wall time", format_duration(seconds) + " (" + fixed(seconds, 1) + " s)");
  row("budget", xml_escape(budget));
  return h + "</table>\n";
}

std::string progress_section(const RunData& run, const std::vector<double>& best) {
  Series each{.name = "trial", .color = kGrey, .line = false, .points = true, .radius = 2.5};
  Series curve{.name = "best so far", .color = kBlue, .step = true};
  Series time_curve{.name = "best so far", .color = kBlue, .step = true};
  double total = 0;
  for (const auto& t : run.trials) total += t.eval.seconds;
  const bool minutes = total > 180;
  double elapsed = 0;
  for (size_t i = 0; i < run.trials.size(); ++i) {
    const auto& t = run.trials[i];
    elapsed += t.eval.seconds;
    if (!t.eval.failed) {
      each.x.push_back(double(i + 1));
      each.y.push_back(t.eval.val_accuracy);
      each.tips.push_back(tip(t));
    }
    if (std::isfinite(best[i])) {
      curve.x.push_back(double(i + 1));
      curve.y.push_back(best[i]);
      time_curve.x.push_back(minutes ? elapsed / 60 : elapsed);
      time_curve.y.push_back(best[i]);
    }
  }
  time_curve.points = time_curve.x.size() == 1;  // a single point draws no line
  Plot by_trial{.id = "plot-best-trials", .title = "Best validation accuracy over trials", .x_label = "trial",
                .y_label = "validation accuracy", .y_percent = true, .x_integer = true,
                .y_floor = accuracy_floor(run), .series = {each, curve}};
  Plot by_time{.id = "plot-best-time", .title = "Best validation accuracy over trial wall time",
               .x_label = minutes ? "cumulative trial time (min)" : "cumulative trial time (s)",
               .y_label = "validation accuracy", .y_percent = true, .y_floor = accuracy_floor(run),
               .series = {time_curve}};
  return "<h2>Search progress</h2>\n<div class=\"plots\">\n" + render_plot(by_trial) + render_plot(by_time) +
         "</div>\n";
}

// Accuracy against one cost, every successful trial a point, the 2-objective front ringed and joined.
std::string cost_plot(const RunData& run, const std::string& id, const std::string& title, const std::string& x_label,
                      const std::vector<double>& cost, bool log_x) {
  const std::vector<size_t> front = pareto_front_2d(run.trials, cost);
  const std::set<size_t> on_front(front.begin(), front.end());
  Series points{.name = "trial", .color = kBlue, .line = false, .points = true};
  Series line{.name = "Pareto front", .color = "#111"};
  for (size_t i = 0; i < run.trials.size(); ++i) {
    const auto& t = run.trials[i];
    if (t.eval.failed) continue;
    points.x.push_back(cost[i]);
    points.y.push_back(t.eval.val_accuracy);
    points.tips.push_back(tip(t));
    points.front.push_back(on_front.count(i) > 0);
  }
  for (size_t i : front) {
    line.x.push_back(cost[i]);
    line.y.push_back(run.trials[i].eval.val_accuracy);
  }
  line.step = true;
  return render_plot(Plot{.id = id, .title = title, .x_label = x_label, .y_label = "validation accuracy",
                          .x_log = log_x, .y_percent = true, .y_floor = accuracy_floor(run), .series = {line, points}});
}

// The 3-objective front (accuracy up, params and MACs down), one row per genotype.
std::string pareto_table(const RunData& run) {
  std::vector<size_t> front;
  std::set<uint64_t> seen;
  for (size_t i = 0; i < run.trials.size(); ++i) {
    const auto& a = run.trials[i].eval;
    if (a.failed || !seen.insert(nas::hash(run.trials[i].genotype)).second) continue;
    bool dominated = false;
    for (const auto& other : run.trials) {
      const auto& b = other.eval;
      if (b.failed) continue;
      const bool no_worse = b.val_accuracy >= a.val_accuracy && b.cost.params <= a.cost.params &&
                            b.cost.macs <= a.cost.macs;
      const bool better = b.val_accuracy > a.val_accuracy || b.cost.params < a.cost.params || b.cost.macs < a.cost.macs;
      if (no_worse && better) {
        dominated = true;
        break;
      }
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) {
    return run.trials[a].eval.val_accuracy > run.trials[b].eval.val_accuracy;
  });
  std::string h = "<h3>Pareto front: accuracy, parameters, MACs (as pareto.json)</h3>\n<table>\n"
                  "<tr><th>trial</th><th>val acc</th><th>params</th><th>MACs</th><th>latency</th><th>genotype</th></tr>\n";
  for (size_t i : front) {
    const auto& t = run.trials[i];
    h += "<tr>" + td(std::to_string(t.trial + 1), true) + td(pct(t.eval.val_accuracy), true) +
         td(format_count(t.eval.cost.params), true) + td(format_count(t.eval.cost.macs), true) +
         td(fixed(t.eval.latency_ms, 2) + " ms", true) + "<td>" + code(nas::to_string(t.genotype)) + "</td></tr>\n";
  }
  return h + "</table>\n";
}

std::string cost_section(const RunData& run) {
  std::vector<double> params, macs, latency;
  bool any_latency = false;
  for (const auto& t : run.trials) {
    params.push_back(double(t.eval.cost.params));
    macs.push_back(double(t.eval.cost.macs));
    latency.push_back(t.eval.latency_ms > 0 ? t.eval.latency_ms : NAN);  // 0: not measured
    any_latency |= !t.eval.failed && t.eval.latency_ms > 0;
  }
  std::string h = "<h2>Accuracy and cost</h2>\n<p class=\"note\">Every successful trial is a point (hover for its "
                  "genotype); ringed points form the Pareto front of accuracy against that cost.</p>\n"
                  "<div class=\"plots\">\n";
  h += cost_plot(run, "plot-params", "Accuracy vs parameters", "parameters", params, false);
  h += cost_plot(run, "plot-macs", "Accuracy vs MACs", "multiply-accumulates per image", macs, false);
  if (any_latency) {
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < latency.size(); ++i)
      if (!run.trials[i].eval.failed && std::isfinite(latency[i])) lo = std::min(lo, latency[i]), hi = std::max(hi, latency[i]);
    // Latencies spread over orders of magnitude when a measurement was disturbed.
    h += cost_plot(run, "plot-latency", "Accuracy vs batch-1 latency", "latency (ms, this machine)", latency,
                   hi > 30 * lo);
  }
  return h + "</div>\n" + pareto_table(run);
}

// The top `top` distinct genotypes by accuracy (earliest trial first on ties),
// drawn, with a DOT file each written into out_dir.
std::string genotype_section(const RunData& run, int top, const fs::path& out_dir, std::vector<fs::path>& dots) {
  std::vector<size_t> order;
  for (size_t i = 0; i < run.trials.size(); ++i)
    if (!run.trials[i].eval.failed && !run.trials[i].cached) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return run.trials[a].eval.val_accuracy > run.trials[b].eval.val_accuracy;
  });
  std::string h = "<h2>Best genotypes</h2>\n";
  if (order.empty()) return h + "<p>No trial succeeded.</p>\n";
  std::set<uint64_t> seen;
  int rank = 0;
  for (size_t i : order) {
    if (rank >= top) break;
    const auto& t = run.trials[i];
    if (!seen.insert(nas::hash(t.genotype)).second) continue;
    ++rank;
    const std::string name = "best-" + std::to_string(rank);
    const fs::path dot = out_dir / (name + ".dot");
    nn::write_file_atomic(dot.string(), cell_dot(t.genotype, name));
    dots.push_back(dot);
    h += "<div class=\"genotype\" id=\"genotype-" + std::to_string(rank) + "\">\n<h3>#" + std::to_string(rank) +
         ": trial " + std::to_string(t.trial + 1) + ", " + pct(t.eval.val_accuracy) + " validation accuracy, " +
         format_count(t.eval.cost.params) + " params, " + format_count(t.eval.cost.macs) + " MACs, " +
         fixed(t.eval.latency_ms, 2) + " ms</h3>\n<p>" + code(nas::to_string(t.genotype)) +
         " <span class=\"note\">(Graphviz: <a href=\"" + xml_escape(name) + ".dot\">" + xml_escape(name) +
         ".dot</a>)</span></p>\n<div class=\"cells\">\n";
    const auto graphs = cell_graphs(t.genotype);
    for (size_t c = 0; c < graphs.size(); ++c) h += cell_svg(graphs[c], name + "-cell-" + std::to_string(c));
    h += "</div>\n";
    if (auto* nb = std::get_if<nas::Nb201Genotype>(&t.genotype)) {
      // The edges by the names the network's parameters use ("2<-1").
      h += "<table class=\"edges\"><tr><th>edge</th>";
      for (int e = 0; e < nas::Nb201Genotype::kEdges; ++e)
        h += "<td>" + xml_escape(std::to_string(nas::Nb201Genotype::kEdgeTo[e]) + "<-" +
                                 std::to_string(nas::Nb201Genotype::kEdgeFrom[e])) + "</td>";
      h += "</tr><tr><th>op</th>";
      for (int e = 0; e < nas::Nb201Genotype::kEdges; ++e)
        h += "<td>" + xml_escape(std::string(nas::nb201_op_name(nb->ops[e]))) + "</td>";
      h += "</tr></table>\n";
    }
    h += "</div>\n";
  }
  return h;
}

std::string failed_section(const RunData& run) {
  std::string rows;
  int64_t n = 0;
  for (const auto& t : run.trials) {
    if (!t.eval.failed) continue;
    ++n;
    rows += "<tr>" + td(std::to_string(t.trial + 1), true) + "<td class=\"failed\">" + xml_escape(t.eval.reason) +
            "</td>" + td(fixed(t.eval.seconds, 1) + " s", true) + "<td>" + code(nas::to_string(t.genotype)) +
            "</td></tr>\n";
  }
  std::string h = "<h2>Failed trials</h2>\n";
  if (n == 0) return h + "<p>No trial failed.</p>\n";
  return h + "<table class=\"failed-trials\">\n<tr><th>trial</th><th>reason</th><th>time</th><th>genotype</th></tr>\n" +
         rows + "</table>\n";
}

std::string trials_section(const RunData& run, const std::vector<double>& best) {
  std::string h = "<details>\n<summary>All " + std::to_string(run.trials.size()) +
                  " trials</summary>\n<table class=\"trials\">\n<tr><th>trial</th><th>val acc</th><th>best so far</th>"
                  "<th>params</th><th>MACs</th><th>latency</th><th>time</th><th>genotype</th></tr>\n";
  for (size_t i = 0; i < run.trials.size(); ++i) {
    const auto& t = run.trials[i];
    const std::string acc = t.eval.failed ? "failed" : pct(t.eval.val_accuracy) + (t.cached ? " (cached)" : "");
    h += "<tr>" + td(std::to_string(t.trial + 1), true) + td(acc, true) + td(pct(best[i]), true) +
         td(format_count(t.eval.cost.params), true) + td(format_count(t.eval.cost.macs), true) +
         td(fixed(t.eval.latency_ms, 2) + " ms", true) + td(fixed(t.eval.seconds, 1) + " s", true) + "<td>" +
         code(nas::to_string(t.genotype)) + "</td></tr>\n";
  }
  return h + "</table>\n</details>\n";
}

double number_or_nan(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

}  // namespace

std::string retrain_html(const fs::path& run_dir) {
  const fs::path metrics_path = run_dir / "metrics.jsonl";
  const std::vector<json> metrics = load_metrics(metrics_path);
  std::string h = "<h2>Retrained winner</h2>\n<p class=\"sub\">" + xml_escape(run_dir.string()) + " (" +
                  std::to_string(metrics.size()) + " epochs)</p>\n";
  Series train_acc{.name = "train", .color = kBlue}, val_acc{.name = "validation", .color = kOrange},
      test_acc{.name = "test", .color = kGreen}, train_loss{.name = "train loss", .color = kRed};
  for (const json& m : metrics) {
    const double epoch = double(m["epoch"].get<int64_t>());
    auto add = [&](Series& s, const char* key) {
      const double v = number_or_nan(m, key);
      if (std::isfinite(v)) s.x.push_back(epoch), s.y.push_back(v);
    };
    add(train_acc, "train_acc");
    add(val_acc, "val_acc");
    add(test_acc, "test_acc");
    add(train_loss, "train_loss");
  }
  for (Series* s : {&train_acc, &val_acc, &test_acc, &train_loss}) s->points = s->x.size() == 1;
  std::vector<Series> acc = {train_acc, test_acc};
  if (!val_acc.x.empty()) acc.insert(acc.begin() + 1, val_acc);
  h += "<div class=\"plots\">\n" +
       render_plot({.id = "plot-retrain-acc", .title = "Accuracy per epoch", .x_label = "epoch", .y_label = "accuracy",
                    .y_percent = true, .x_integer = true, .series = acc}) +
       render_plot({.id = "plot-retrain-loss", .title = "Training loss per epoch", .x_label = "epoch",
                    .y_label = "cross-entropy", .x_integer = true, .series = {train_loss}}) +
       "</div>\n";
  h += "<table class=\"epochs\">\n<tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val acc</th>"
       "<th>test acc</th><th>lr</th><th>time</th></tr>\n";
  for (const json& m : metrics) {
    h += "<tr>" + td(std::to_string(m["epoch"].get<int64_t>()), true) + td(fixed(number_or_nan(m, "train_loss"), 4), true) +
         td(pct(number_or_nan(m, "train_acc")), true) + td(pct(number_or_nan(m, "val_acc")), true) +
         td(pct(number_or_nan(m, "test_acc")), true) + td(format_number(number_or_nan(m, "lr")), true) +
         td(fixed(number_or_nan(m, "seconds"), 1) + " s", true) + "</tr>\n";
  }
  h += "</table>\n";
  const fs::path config_path = run_dir / "config.json";
  if (fs::exists(config_path)) {
    std::ifstream in(config_path);
    json config = json::parse(in, nullptr, false);
    if (!config.is_discarded() && config.is_object()) h += "<details>\n<summary>Training configuration</summary>\n" +
                                                           json_table(config) + "</details>\n";
  }
  return h;
}

std::string config_html(const fs::path& dir, const json& config) {
  std::string h = "<h2>Configuration</h2>\n<p class=\"sub\">" + xml_escape((dir / "config.json").string()) +
                  "</p>\n" + json_table(config);
  h += "<h2>Environment</h2>\n<p class=\"note\">Of the machine and build that wrote this report.</p>\n"
       "<table class=\"kv\">\n";
  for (const auto& [k, v] : environment()) h += "<tr><th>" + xml_escape(k) + "</th><td>" + xml_escape(v) + "</td></tr>\n";
  return h + "</table>\n";
}

ReportFiles write_report(const fs::path& dir, const ReportOptions& options) {
  NF_CHECK(options.top >= 0, "report: --top must be >= 0, got ", options.top);
  if (is_darts_experiment(dir)) return write_darts_report(dir, options);
  const RunData run = load_run(dir);
  ReportFiles files;
  files.html = options.out.empty() ? dir / "report.html" : options.out;
  const fs::path out_dir = files.html.has_parent_path() ? files.html.parent_path() : fs::path(".");
  NF_CHECK(fs::is_directory(out_dir), "report: no directory ", out_dir.string(), " for ", files.html.string());
  fs::path retrain = options.retrain_dir;
  if (retrain.empty() && fs::exists(dir / "retrain" / "metrics.jsonl")) retrain = dir / "retrain";
  if (!retrain.empty())
    NF_CHECK(fs::exists(retrain / "metrics.jsonl"), "report: no metrics.jsonl in ", retrain.string(),
             " (a `nasforge train` run directory)");

  const std::vector<double> best = best_so_far(run.trials);
  files.trials = run.trials.size();
  files.best_accuracy = best.empty() ? NAN : best.back();
  std::string body = "<h1>Architecture search: " + xml_escape(run.space()) + " space, " + xml_escape(run.strategy()) +
                     "</h1>\n<p class=\"sub\">" + xml_escape(fs::absolute(dir).lexically_normal().string()) + "</p>\n";
  body += summary_section(run, best);
  body += progress_section(run, best);
  body += cost_section(run);
  body += genotype_section(run, options.top, out_dir, files.dots);
  if (!retrain.empty()) body += retrain_html(retrain);
  body += failed_section(run);
  body += "<h2>Trials</h2>\n" + trials_section(run, best);
  body += config_html(run.dir, run.config);
  const fs::path normal = fs::absolute(dir).lexically_normal();
  const std::string name = normal.has_filename() ? normal.filename().string() : normal.parent_path().filename().string();
  nn::write_file_atomic(files.html.string(), html_page("nasforge report: " + name, body));
  return files;
}

void write_report_after_search(const fs::path& dir, std::ostream& out) noexcept {
  try {
    const ReportFiles files = write_report(dir);
    out << "report:   " << files.html.string() << "\n";
  } catch (const std::exception& e) {
    try {
      out << "warning: the search finished but its report could not be written: " << e.what() << "\n";
    } catch (...) {
    }
  }
}

}  // namespace nf::tools
