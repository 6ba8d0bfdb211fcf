// `nasforge report` and `nasforge compare` on synthetic experiment directories
// (trial records written through nas::Experiment, so the files are exactly what
// a search writes): report.html is parsed by a small strict XML checker and its
// plots are checked against trials.jsonl; compare's table is checked against
// numbers computed here from the trials; bad input names the file; the cell
// diagrams of every space; a real search writes its report; and, when Debian's
// `chromium` is installed, headless Chromium renders the page to a non-blank
// screenshot with the SVG elements in its DOM.
#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "nas/experiment.h"
#include "nas/notation.h"
#include "tests/cli_util.h"
#include "tools/cell_diagram.h"
#include "tools/commands.h"
#include "tools/svg.h"

using namespace cli_test;
using json = nlohmann::json;

namespace {

// ---- a strict checker for the generated HTML/SVG --------------------------
// Every element must be closed (<x/> or <x>...</x>), attributes double-quoted,
// text free of raw '<' and of '&' outside the five entities we write. <style>
// content is taken as raw text.
struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;
  std::string text;  // direct text content
  int parent = -1;
  bool has_class(const std::string& c) const {
    auto it = attrs.find("class");
    if (it == attrs.end()) return false;
    std::istringstream words(it->second);
    for (std::string w; words >> w;)
      if (w == c) return true;
    return false;
  }
};

struct Doc {
  std::vector<Element> elements;
  bool within(int e, int ancestor) const {
    for (int p = e; p >= 0; p = elements[p].parent)
      if (p == ancestor) return true;
    return false;
  }
  int by_id(const std::string& id) const {
    for (size_t i = 0; i < elements.size(); ++i)
      if (elements[i].attrs.count("id") && elements[i].attrs.at("id") == id) return int(i);
    return -1;
  }
  // Elements named `name` (with class `cls` when given) inside `root` (-1: anywhere).
  std::vector<int> find(const std::string& name, const std::string& cls = "", int root = -1) const {
    std::vector<int> out;
    for (size_t i = 0; i < elements.size(); ++i)
      if (elements[i].name == name && (cls.empty() || elements[i].has_class(cls)) && (root < 0 || within(int(i), root)))
        out.push_back(int(i));
    return out;
  }
};

std::string check_entities(const std::string& text, size_t at) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<') return "raw '<' in text near offset " + std::to_string(at + i);
    if (text[i] != '&') continue;
    bool ok = false;
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"})
      ok |= text.compare(i, std::strlen(e), e) == 0;
    if (!ok) return "bad entity near offset " + std::to_string(at + i) + ": " + text.substr(i, 8);
  }
  return "";
}

std::string unescape(std::string s) {
  const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
  for (auto [from, to] : entities)
    for (size_t p; (p = s.find(from)) != std::string::npos;) s.replace(p, std::strlen(from), to);
  return s;
}

// Parses `html`; an empty `error` means well-formed.
Doc parse(const std::string& html, std::string& error) {
  Doc doc;
  std::vector<int> open;
  size_t i = 0;
  auto fail = [&](const std::string& why) {
    if (error.empty()) error = why + " (offset " + std::to_string(i) + ")";
  };
  if (html.rfind("<!DOCTYPE html>", 0) == 0) i = std::strlen("<!DOCTYPE html>");
  else fail("no <!DOCTYPE html>");
  while (i < html.size() && error.empty()) {
    const size_t lt = html.find('<', i);
    const std::string text = html.substr(i, (lt == std::string::npos ? html.size() : lt) - i);
    if (std::string e = check_entities(text, i); !e.empty()) return fail(e), doc;
    if (!open.empty()) doc.elements[open.back()].text += unescape(text);
    else if (text.find_first_not_of(" \n") != std::string::npos) return fail("text outside the root element"), doc;
    if (lt == std::string::npos) break;
    i = lt;
    const size_t gt = html.find('>', i);
    if (gt == std::string::npos) return fail("unterminated tag"), doc;
    if (html[i + 1] == '/') {  // a closing tag
      const std::string name = html.substr(i + 2, gt - i - 2);
      if (open.empty() || doc.elements[open.back()].name != name)
        return fail("</" + name + "> closes <" + (open.empty() ? "nothing" : doc.elements[open.back()].name) + ">"), doc;
      open.pop_back();
      i = gt + 1;
      continue;
    }
    // An opening tag: name, then name="value" attributes, then > or />.
    size_t p = i + 1;
    while (p < html.size() && (std::isalnum(static_cast<unsigned char>(html[p])) || html[p] == '-')) ++p;
    Element el;
    el.name = html.substr(i + 1, p - i - 1);
    if (el.name.empty()) return fail("empty tag name"), doc;
    el.parent = open.empty() ? -1 : open.back();
    bool self_closing = false;
    for (;;) {
      while (p < html.size() && std::isspace(static_cast<unsigned char>(html[p]))) ++p;
      if (html.compare(p, 2, "/>") == 0) {
        self_closing = true;
        p += 2;
        break;
      }
      if (html[p] == '>') {
        ++p;
        break;
      }
      const size_t eq = html.find('=', p);
      if (eq == std::string::npos || html[eq + 1] != '"') return fail("attribute without =\"...\" in <" + el.name + ">"), doc;
      const std::string key = html.substr(p, eq - p);
      const size_t close = html.find('"', eq + 2);
      if (close == std::string::npos) return fail("unterminated attribute"), doc;
      const std::string value = html.substr(eq + 2, close - eq - 2);
      if (std::string e = check_entities(value, eq); !e.empty()) return fail(e), doc;
      if (el.attrs.count(key)) return fail("duplicate attribute " + key), doc;
      el.attrs[key] = unescape(value);
      p = close + 1;
    }
    if (open.empty() && !doc.elements.empty()) return fail("a second root element <" + el.name + ">"), doc;
    doc.elements.push_back(el);
    const int index = int(doc.elements.size()) - 1;
    i = p;
    if (self_closing) continue;
    if (el.name == "style") {  // raw text up to </style>
      const size_t end = html.find("</style>", i);
      if (end == std::string::npos) return fail("unterminated <style>"), doc;
      i = end + std::strlen("</style>");
      continue;
    }
    open.push_back(index);
  }
  if (error.empty() && !open.empty()) fail("<" + doc.elements[open.back()].name + "> is never closed");
  return doc;
}


std::vector<json> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * fraction);
  return buf;
}

// ---- synthetic experiments -------------------------------------------------
struct Spec {
  std::string strategy = "evolution";
  int64_t seed = 0;
  int trials = 14;
};

// Trials with pseudo-random accuracy and cost; trials 4 and 9 (when present)
// fail with a reason full of markup characters; trial 11 repeats trial 2 as a
// cached result (zero seconds), as the search loop records it.
void make_experiment(const fs::path& dir, const Spec& spec) {
  json config = {{"space", {{"space", "nb201"}}},
                 {"strategy", {{"name", spec.strategy}, {"options", {{"budget", spec.trials}}}, {"seed", spec.seed}}},
                 {"protocol", {{"epochs", 1}, {"lr", 0.1}}},
                 {"budget", {{"trials", spec.trials}, {"seconds", 0.0}}}};
  auto experiment = nf::nas::Experiment::create(dir, config);
  uint64_t state = 12345 + 77 * uint64_t(spec.seed) + (spec.strategy == "random" ? 999 : 0);
  auto next = [&] {  // a small LCG: reproducible, no library dependence
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return double(state >> 11) / double(1ULL << 53);
  };
  for (int i = 0; i < spec.trials; ++i) {
    nf::nas::TrialRecord r;
    r.trial = i;
    if (i == 11 && spec.trials > 11) {
      r = experiment.trials()[2];
      r.trial = i;
      r.cached = true;
      r.eval.seconds = 0;
      experiment.append(r);
      continue;
    }
    r.genotype = nf::nas::Nb201Genotype::from_index((int64_t(i) * 3917 + spec.seed * 101) % nf::nas::Nb201Genotype::kCount);
    r.eval.val_accuracy = 0.5 + 0.4 * next();
    r.eval.val_loss = 1 - r.eval.val_accuracy;
    r.eval.cost.params = 20000 + int64_t(40000 * next());
    r.eval.cost.macs = 100 * r.eval.cost.params + int64_t(1e6 * next());
    r.eval.latency_ms = 0.3 + 2 * next();
    r.eval.seconds = 5 + 10 * next();
    r.eval.steps = 46;
    if (i == 4 || i == 9) {
      r.eval = {};
      r.eval.failed = true;
      r.eval.seconds = 1.5;
      r.eval.reason = "training loss became nan at step 3 <of 46> & 'stopped'";
    }
    experiment.append(r);
  }
}

void write_retrain(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream out(dir / "metrics.jsonl");
  for (int e = 1; e <= 3; ++e)
    out << json{{"epoch", e},           {"train_loss", 1.5 / e},   {"train_acc", 0.5 + 0.1 * e},
                {"val_acc", 0.45 + 0.1 * e}, {"test_acc", 0.4 + 0.1 * e}, {"lr", 0.01 / e}, {"seconds", 3.0}}
               .dump()
        << "\n";
  std::ofstream(dir / "config.json") << json{{"model", "genotype"}, {"epochs", 3}}.dump();
}

// Distinct (cost, accuracy) pairs that no other successful trial beats on both.
size_t front_size(const std::vector<json>& lines, const char* cost) {
  std::set<std::pair<double, double>> front;
  for (const json& a : lines) {
    if (a["failed"].get<bool>()) continue;
    bool dominated = false;
    for (const json& b : lines) {
      if (b["failed"].get<bool>()) continue;
      const double ca = a[cost].get<double>(), cb = b[cost].get<double>();
      const double va = a["val_accuracy"].get<double>(), vb = b["val_accuracy"].get<double>();
      dominated |= cb <= ca && vb >= va && (cb < ca || vb > va);
    }
    if (!dominated) front.insert({a[cost].get<double>(), a["val_accuracy"].get<double>()});
  }
  return front.size();
}

class CliReport : public testing::Test {
 protected:
  TempDir tmp;
};

}  // namespace

TEST_F(CliReport, ReportIsWellFormedAndItsPlotsMatchTheTrials) {
  const fs::path dir = tmp.path / "exp";
  make_experiment(dir, {});
  write_retrain(dir / "retrain");
  Outcome r = run(nf::tools::cmd_report, "report", {dir.string()});
  ASSERT_EQ(r.rc, 0) << r.error;
  EXPECT_NE(r.out.find((dir / "report.html").string()), std::string::npos) << r.out;

  const std::string html = read_text(dir / "report.html");
  std::string error;
  const Doc doc = parse(html, error);
  ASSERT_EQ(error, "") << html.substr(0, 2000);
  EXPECT_EQ(html.find("<script"), std::string::npos);  // no JavaScript
  // Nothing fetched from the network: the only URLs are the SVG namespace.
  size_t urls = 0, namespaces = 0;
  for (size_t p = 0; (p = html.find("http", p)) != std::string::npos; ++p) ++urls;
  for (size_t p = 0; (p = html.find("xmlns=\"http://www.w3.org/2000/svg\"", p)) != std::string::npos; ++p) ++namespaces;
  EXPECT_EQ(urls, namespaces);

  const std::vector<json> lines = read_lines(dir / "trials.jsonl");
  ASSERT_EQ(lines.size(), 14u);
  size_t ok = 0;
  double best = -1;
  for (const json& l : lines)
    if (!l["failed"].get<bool>()) ++ok, best = std::max(best, l["val_accuracy"].get<double>());
  ASSERT_EQ(ok, 12u);

  // One <svg class="plot"> per plot, each with both axes, their labels and ticks.
  const std::vector<std::string> plots = {"plot-best-trials", "plot-best-time", "plot-params",     "plot-macs",
                                          "plot-latency",     "plot-retrain-acc", "plot-retrain-loss"};
  EXPECT_EQ(doc.find("svg", "plot").size(), plots.size());
  for (const std::string& id : plots) {
    const int svg = doc.by_id(id);
    ASSERT_GE(svg, 0) << id;
    EXPECT_EQ(doc.elements[svg].name, "svg") << id;
    EXPECT_EQ(doc.find("line", "x-axis", svg).size(), 1u) << id;
    EXPECT_EQ(doc.find("line", "y-axis", svg).size(), 1u) << id;
    const auto labels = doc.find("text", "axis-label", svg);
    ASSERT_EQ(labels.size(), 2u) << id;
    for (int l : labels) EXPECT_FALSE(doc.elements[l].text.empty()) << id;
    EXPECT_GE(doc.find("text", "tick-label", svg).size(), 4u) << id;
    EXPECT_FALSE(doc.find("text", "title", svg).empty()) << id;
  }
  // A scatter point per successful trial; the ringed front as computed here.
  for (const char* id : {"plot-best-trials", "plot-params", "plot-macs", "plot-latency"})
    EXPECT_EQ(doc.find("circle", "point", doc.by_id(id)).size(), ok) << id;
  EXPECT_EQ(doc.find("circle", "front", doc.by_id("plot-params")).size(), front_size(lines, "params"));
  EXPECT_EQ(doc.find("circle", "front", doc.by_id("plot-macs")).size(), front_size(lines, "macs"));
  EXPECT_EQ(doc.find("polyline", "line", doc.by_id("plot-retrain-acc")).size(), 3u);  // train, val, test

  // The best accuracy printed is the maximum in trials.jsonl.
  const int best_span = doc.by_id("best-accuracy");
  ASSERT_GE(best_span, 0);
  EXPECT_EQ(doc.elements[best_span].text, percent(best));

  // Top 3 genotypes drawn (distinct: the cached repeat is not drawn twice), a DOT file each.
  EXPECT_EQ(doc.find("svg", "cell").size(), 3u);
  for (int k = 1; k <= 3; ++k) {
    const std::string dot = read_text(dir / ("best-" + std::to_string(k) + ".dot"));
    EXPECT_NE(dot.find("digraph \"best-" + std::to_string(k) + "\""), std::string::npos) << dot;
    EXPECT_NE(dot.find("->"), std::string::npos);
  }
  // Markup in notations, edge names and failure reasons arrives escaped.
  EXPECT_NE(html.find("<td>2&lt;-1</td>"), std::string::npos);
  EXPECT_NE(html.find("nan at step 3 &lt;of 46&gt; &amp; &#39;stopped&#39;"), std::string::npos);
  int reasons = 0;
  for (int td : doc.find("td", "failed")) reasons += doc.elements[td].text == lines[4]["reason"].get<std::string>();
  EXPECT_EQ(reasons, 2);
  // Every notation of trials.jsonl appears (in the all-trials table).
  for (const json& l : lines)
    EXPECT_NE(html.find("<code>" + nf::tools::xml_escape(l["notation"].get<std::string>()) + "</code>"),
              std::string::npos);
}

TEST_F(CliReport, CompareTableReproducesTheTrials) {
  const std::vector<Spec> specs = {{"evolution", 0, 10}, {"evolution", 1, 12}, {"random", 0, 9}, {"random", 1, 13}};
  std::vector<std::string> args;
  for (const Spec& s : specs) {
    const fs::path dir = tmp.path / (s.strategy + std::to_string(s.seed));
    make_experiment(dir, s);
    args.push_back(dir.string());
  }
  const fs::path page = tmp.path / "compare.html";
  args.insert(args.end(), {"--html", page.string()});
  Outcome r = run(nf::tools::cmd_compare, "compare", args);
  ASSERT_EQ(r.rc, 0) << r.error;

  // Best within the first 9 trials (the smallest run), from the files themselves.
  std::map<std::string, std::vector<double>> by_strategy;
  for (size_t k = 0; k < specs.size(); ++k) {
    const auto lines = read_lines(fs::path(args[k]) / "trials.jsonl");
    double best = -1, overall = -1;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i]["failed"].get<bool>()) continue;
      overall = std::max(overall, lines[i]["val_accuracy"].get<double>());
      if (i < 9) best = std::max(best, lines[i]["val_accuracy"].get<double>());
    }
    by_strategy[specs[k].strategy].push_back(best);
    // The run's row: label, strategy, space, seed, trials, best@9, best.
    std::istringstream out(r.out);
    bool found = false;
    for (std::string line; std::getline(out, line);) {
      std::istringstream words(line);
      std::vector<std::string> w;
      for (std::string x; words >> x;) w.push_back(x);
      if (w.size() == 7 && w[0] == args[k]) {
        found = true;
        EXPECT_EQ(w[1], specs[k].strategy);
        EXPECT_EQ(w[2], "nb201");
        EXPECT_EQ(w[3], std::to_string(specs[k].seed));
        EXPECT_EQ(w[4], std::to_string(specs[k].trials));
        EXPECT_EQ(w[5], percent(best)) << line;
        EXPECT_EQ(w[6], percent(overall)) << line;
      }
    }
    EXPECT_TRUE(found) << args[k] << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("best@9"), std::string::npos) << r.out;
  for (auto& [strategy, values] : by_strategy) {
    const double mean = (values[0] + values[1]) / 2;
    const double sd = std::sqrt((values[0] - mean) * (values[0] - mean) + (values[1] - mean) * (values[1] - mean));
    char expected[64];
    std::snprintf(expected, sizeof expected, "%.2f ± %.2f %%", 100 * mean, 100 * sd);
    EXPECT_NE(r.out.find(expected), std::string::npos) << strategy << ": " << expected << "\n" << r.out;
  }

  std::string error;
  const Doc doc = parse(read_text(page), error);
  ASSERT_EQ(error, "");
  const int plot = doc.by_id("plot-compare");
  ASSERT_GE(plot, 0);
  EXPECT_EQ(doc.find("polyline", "line", plot).size(), 2u);  // a mean curve per strategy
  EXPECT_EQ(doc.find("polygon", "band", plot).size(), 2u);    // and its band
  EXPECT_EQ(doc.find("line", "x-axis", plot).size(), 1u);

  Outcome too_many = run(nf::tools::cmd_compare, "compare", {args[0], args[2], "--trials", "10"});
  EXPECT_NE(too_many.error.find("--trials 10"), std::string::npos) << too_many.error;
}

TEST_F(CliReport, BadInputIsAnErrorNamingTheFile) {
  const fs::path missing = tmp.path / "nowhere";
  Outcome r = run(nf::tools::cmd_report, "report", {missing.string()});
  EXPECT_NE(r.error.find(missing.string()), std::string::npos) << r.error;

  const fs::path dir = tmp.path / "exp";
  make_experiment(dir, {.trials = 3});
  {
    std::string text = read_text(dir / "trials.jsonl");
    const size_t first = text.find('\n');
    std::ofstream(dir / "trials.jsonl") << text.substr(0, first + 1) << "{\"trial\": 1, \"genotype\": 7}\n";
  }
  r = run(nf::tools::cmd_report, "report", {dir.string()});
  EXPECT_NE(r.error.find((dir / "trials.jsonl").string() + " line 2"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(dir / "report.html"));
  r = run(nf::tools::cmd_compare, "compare", {dir.string()});
  EXPECT_NE(r.error.find((dir / "trials.jsonl").string() + " line 2"), std::string::npos) << r.error;

  const fs::path good = tmp.path / "good";
  make_experiment(good, {.trials = 3});
  r = run(nf::tools::cmd_report, "report", {good.string(), "--retrain", (tmp.path / "noretrain").string()});
  EXPECT_NE(r.error.find("metrics.jsonl"), std::string::npos) << r.error;
  write_retrain(tmp.path / "badretrain");
  std::ofstream(tmp.path / "badretrain" / "metrics.jsonl", std::ios::app) << "[1, 2]\n";
  r = run(nf::tools::cmd_report, "report", {good.string(), "--retrain", (tmp.path / "badretrain").string()});
  EXPECT_NE(r.error.find((tmp.path / "badretrain" / "metrics.jsonl").string() + " line 4"), std::string::npos)
      << r.error;
  r = run(nf::tools::cmd_report, "report", {good.string(), good.string()});
  EXPECT_NE(r.error.find("one experiment directory"), std::string::npos) << r.error;
}

TEST_F(CliReport, DartsReportHasAlphaHeatmapsAndDerivedCells) {
  // A DARTS experiment directory as nas/darts_search.h writes it: 3 epochs.
  const fs::path dir = tmp.path / "darts";
  fs::create_directories(dir);
  std::ofstream(dir / "config.json") << json{{"space", {{"space", "darts"}}}, {"strategy", {{"name", "darts"}}}}.dump();
  const std::vector<std::string> ops = {"none",         "max_pool_3x3", "avg_pool_3x3", "skip_connect",
                                        "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"};
  std::vector<std::string> edges;
  for (int node = 0; node < 4; ++node)
    for (int input = 0; input < node + 2; ++input) edges.push_back(std::to_string(node + 2) + "<-" + std::to_string(input));
  const nf::nas::Genotype g = nf::nas::parse_genotype(
      "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
      "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, "
      "5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
      "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, "
      "5])");
  {
    std::ofstream alphas(dir / "alphas.jsonl"), genotypes(dir / "genotypes.jsonl");
    for (int epoch = 1; epoch <= 3; ++epoch) {
      json rows = json::array();
      for (size_t e = 0; e < edges.size(); ++e) {
        std::vector<double> p(ops.size(), (1.0 - 0.05 * epoch) / double(ops.size() - 1));
        p[(e + epoch) % ops.size()] = 0.05 * epoch;
        rows.push_back(p);
      }
      alphas << json{{"epoch", epoch}, {"ops", ops}, {"edges", edges}, {"normal", rows}, {"reduce", rows}}.dump() << "\n";
      genotypes << json{{"epoch", epoch}, {"genotype", g}, {"notation", nf::nas::to_string(g)},
                        {"train_loss", 2.0 / epoch}, {"train_accuracy", 0.3 + 0.1 * epoch},
                        {"val_loss", 2.1 / epoch}, {"val_accuracy", 0.25 + 0.1 * epoch}, {"lr", 0.025},
                        {"seconds", 10.0}, {"steps", 20}, {"params", 123456}, {"macs", 7654321},
                        {"latency_ms", 1.5}}.dump()
                << "\n";
    }
  }
  Outcome r = run(nf::tools::cmd_report, "report", {dir.string()});
  ASSERT_EQ(r.rc, 0) << r.error;
  std::string error;
  const Doc doc = parse(read_text(dir / "report.html"), error);
  ASSERT_EQ(error, "");
  for (const char* name : {"alpha-normal", "alpha-reduce"}) {
    const int svg = doc.by_id(name);
    ASSERT_GE(svg, 0) << name;
    EXPECT_EQ(doc.find("rect", "heat", svg).size(), 3u * edges.size() * ops.size()) << name;  // epochs x edges x ops
  }
  for (const char* id : {"plot-darts-acc", "plot-darts-loss"}) {
    ASSERT_GE(doc.by_id(id), 0) << id;
    EXPECT_EQ(doc.find("polyline", "line", doc.by_id(id)).size(), 2u) << id;
  }
  EXPECT_EQ(doc.elements[doc.by_id("best-accuracy")].text, "55.00%");
  EXPECT_EQ(doc.find("svg", "cell").size(), 2u);  // normal and reduction cell
  EXPECT_NE(read_text(dir / "best-1.dot").find("label=\"dil_conv_3x3\""), std::string::npos);
}

TEST(Svg, PlotEscapesTextAndKeepsPointsBelowTheFloorOnTheAxis) {
  using nf::tools::Plot;
  using nf::tools::Series;
  Plot p{.id = "p", .title = "a<b & 'c'", .x_label = "trial", .y_label = "acc", .y_percent = true, .x_integer = true,
         .y_floor = 0.5,
         .series = {Series{.name = "s", .color = "#00f", .x = {1, 2, 3}, .y = {0.1, 0.6, 0.7}, .line = false,
                           .points = true}}};
  std::string error;
  const Doc doc = parse("<!DOCTYPE html>" + nf::tools::render_plot(p), error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(doc.elements[doc.find("text", "title")[0]].text, "a<b & 'c'");
  const auto points = doc.find("circle", "point");
  ASSERT_EQ(points.size(), 3u);
  const auto below = doc.find("circle", "below");
  ASSERT_EQ(below.size(), 1u);
  const Element& axis = doc.elements[doc.find("line", "x-axis")[0]];
  EXPECT_EQ(doc.elements[below[0]].attrs.at("cy"), axis.attrs.at("y1"));  // on the axis
  for (int c : points) EXPECT_LE(std::stod(doc.elements[c].attrs.at("cy")), std::stod(axis.attrs.at("y1")));
  bool noted = false;
  for (int t : doc.find("text", "note")) noted |= doc.elements[t].text.find("1 point below 50%") != std::string::npos;
  EXPECT_TRUE(noted);
  for (int t : doc.find("text", "tick-label", doc.by_id("p"))) {
    const std::string label = doc.elements[t].text;
    if (label.back() != '%') {
      EXPECT_EQ(label.find('.'), std::string::npos) << "x ticks are whole trials: " << label;
    }
  }
}

TEST(CellDiagram, GraphsSvgAndDotOfEverySpace) {
  using namespace nf::nas;
  // NB201: 'none' edges are left out.
  const Genotype nb = parse_genotype("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|");
  auto graphs = nf::tools::cell_graphs(nb);
  ASSERT_EQ(graphs.size(), 1u);
  EXPECT_EQ(graphs[0].nodes.size(), 4u);
  EXPECT_EQ(graphs[0].edges.size(), 4u);
  // DARTS: two cells, 8 op edges + 4 concat edges each.
  const Genotype darts = parse_genotype(
      "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
      "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, "
      "5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
      "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, "
      "5])");
  graphs = nf::tools::cell_graphs(darts);
  ASSERT_EQ(graphs.size(), 2u);
  for (const auto& g : graphs) {
    EXPECT_EQ(g.nodes.size(), 7u);
    EXPECT_EQ(g.edges.size(), 12u);
    std::string error;
    const Doc doc = parse("<!DOCTYPE html>" + nf::tools::cell_svg(g, "c"), error);
    ASSERT_EQ(error, "");
    EXPECT_EQ(doc.find("path", "edge").size(), 12u);
    EXPECT_EQ(doc.find("polygon", "arrow").size(), 12u);
    EXPECT_EQ(doc.find("rect", "node").size(), 7u);
    EXPECT_EQ(doc.find("text", "edge-label").size(), 8u);  // the concat edges carry no op
    // The layout's promise: no two edge labels overlap, and none covers a node.
    std::vector<std::array<double, 4>> boxes;
    for (const char* cls : {"label-box", "node"})
      for (int r : doc.find("rect", cls)) {
        const auto& a = doc.elements[r].attrs;
        boxes.push_back({std::stod(a.at("x")), std::stod(a.at("y")), std::stod(a.at("width")), std::stod(a.at("height"))});
      }
    ASSERT_EQ(boxes.size(), 8u + 7u);
    for (size_t i = 0; i < boxes.size(); ++i)
      for (size_t j = i + 1; j < boxes.size(); ++j) {
        const auto &a = boxes[i], &b = boxes[j];
        const bool apart = a[0] + a[2] <= b[0] || b[0] + b[2] <= a[0] || a[1] + a[3] <= b[1] || b[1] + b[3] <= a[1];
        EXPECT_TRUE(apart) << g.title << ": boxes " << i << " and " << j << " overlap";
      }
  }
  // Macro: stem, 4 layers, classifier; a chain of 5 edges and 3 dashed skips.
  const Genotype macro = parse_genotype("3x5 f36 s1 | 5x5 f48 s2 | 3x7 f24 s1 skip=0 | 1x1 f64 s1 skip=0,1");
  graphs = nf::tools::cell_graphs(macro);
  ASSERT_EQ(graphs.size(), 1u);
  EXPECT_EQ(graphs[0].nodes.size(), 6u);
  EXPECT_EQ(graphs[0].edges.size(), 8u);
  int dashed = 0;
  for (const auto& e : graphs[0].edges) dashed += e.dashed;
  EXPECT_EQ(dashed, 3);
  // DOT: one cluster per cell, an arrow per edge.
  const std::string dot = nf::tools::cell_dot(darts, "best \"1\"");
  EXPECT_NE(dot.find("\ndigraph \"best \\\"1\\\"\" {\n"), std::string::npos) << dot;
  size_t arrows = 0;
  for (size_t p = 0; (p = dot.find(" -> ", p)) != std::string::npos; ++p) ++arrows;
  EXPECT_EQ(arrows, 24u);
  EXPECT_NE(dot.find("subgraph \"cluster_1\""), std::string::npos);
  EXPECT_NE(dot.find("label=\"dil_conv_3x3\""), std::string::npos);
}

TEST(CliReportSearch, ASearchWritesItsReport) {
  TempDir data, runs;
  write_synthetic(data.path);
  const fs::path dir = runs.path / "exp";
  Outcome r = run(nf::tools::cmd_search, "search",
                  {"--space", "nb201", "--channels", "4", "--budget", "2", "--train-examples", "120",
                   "--val-examples", "60", "--batch-size", "32", "--data-dir", data.path.string(), "--out",
                   dir.string()});
  ASSERT_EQ(r.rc, 0) << r.error;
  EXPECT_NE(r.out.find("report:   " + (dir / "report.html").string()), std::string::npos) << r.out;
  std::string error;
  parse(read_text(dir / "report.html"), error);
  EXPECT_EQ(error, "");
}

TEST_F(CliReport, HeadlessChromiumRendersTheReport) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "chromium is not on PATH: install Debian's package 'chromium' (apt-get install chromium) to "
                    "render report.html in a real browser";
  const fs::path dir = tmp.path / "exp";
  make_experiment(dir, {});
  write_retrain(dir / "retrain");
  ASSERT_EQ(run(nf::tools::cmd_report, "report", {dir.string()}).rc, 0);
  const fs::path png = tmp.path / "shot.png", dom = tmp.path / "dom.html";
  const std::string common = "timeout 60 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
                             "--user-data-dir=" + (tmp.path / "profile").string() + " ";
  const std::string url = "file://" + (dir / "report.html").string();
  ASSERT_EQ(std::system((common + "--window-size=1200,2000 --screenshot=" + png.string() + " " + url +
                         " >/dev/null 2>&1").c_str()), 0);
  ASSERT_EQ(std::system((common + "--dump-dom " + url + " >" + dom.string() + " 2>/dev/null").c_str()), 0);

  int w = 0, h = 0, channels = 0;
  unsigned char* pixels = stbi_load(png.string().c_str(), &w, &h, &channels, 3);
  ASSERT_NE(pixels, nullptr) << stbi_failure_reason();
  EXPECT_EQ(w, 1200);
  EXPECT_EQ(h, 2000);
  int64_t non_white = 0, blue = 0;
  std::set<uint32_t> colours;
  for (int64_t i = 0; i < int64_t(w) * h; ++i) {
    const unsigned char *p = pixels + 3 * i;
    non_white += p[0] < 240 || p[1] < 240 || p[2] < 240;
    blue += p[2] > p[0] + 60 && p[2] > 120;  // the plots' blue points and lines
    colours.insert(uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2]);
  }
  stbi_image_free(pixels);
  EXPECT_GT(non_white, int64_t(w) * h / 50) << "the screenshot is (nearly) blank";
  EXPECT_GT(blue, 200) << "no plot colours in the screenshot";
  EXPECT_GT(colours.size(), 50u);
  // The browser parsed the SVG: every plot and cell diagram is in its DOM.
  const std::string parsed = read_text(dom);
  size_t svgs = 0;
  for (size_t p = 0; (p = parsed.find("<svg", p)) != std::string::npos; ++p) ++svgs;
  EXPECT_EQ(svgs, 7u + 3u);
  EXPECT_NE(parsed.find("id=\"plot-params\""), std::string::npos);
}
