// `nasforge compare DIR...`: several searches (strategies, seeds) side by side
// at equal budget, as NAS-Bench-201's tables report them: every run is cut to
// the same number of trials (the smallest run's, or --trials N), its best
// validation accuracy within that many trials is taken, and the runs of each
// strategy are summarised as mean +- sample standard deviation. Printed as a
// table; --html FILE adds a page with the best-so-far curves (mean and a
// +-1 std band per strategy).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "nn/atomic_file.h"
#include "tensor/error.h"
#include "tools/commands.h"
#include "tools/report.h"
#include "tools/run_data.h"
#include "tools/svg.h"

namespace nf::tools {

namespace {

const char* kHelp =
    "usage: nasforge compare DIR... [flags]\n"
    "  compares experiment directories at equal budget: the best validation accuracy\n"
    "  within the first N trials of each run (N: the smallest run's trial count), per run\n"
    "  and as mean +- std (sample, n-1) per strategy\n"
    "  --trials N    compare at N trials instead (at most the smallest run's count)\n"
    "  --html FILE   also write an HTML page with best-so-far curves per strategy\n";

const char* kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

struct Run {
  std::string label{};  // the directory as given
  RunData data{};
  std::vector<double> best{};  // best so far per trial
  double at_budget = NAN;    // best within the first `budget` trials
};

struct Group {
  std::string name{};
  std::vector<size_t> runs{};
  double mean = NAN, sd = NAN;
  int counted = 0;  // runs with a success within the budget
};

std::string pct(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100 * v);
  return buf;
}

std::string mean_std(const Group& g) {
  if (g.counted == 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f ± %.2f %%", 100 * g.mean, 100 * g.sd);
  return buf;
}

// Mean and sample standard deviation (0 for a single value) of the finite values.
void summarise(const std::vector<double>& values, double& mean, double& sd, int& count) {
  double sum = 0;
  count = 0;
  for (double v : values)
    if (std::isfinite(v)) sum += v, ++count;
  mean = count ? sum / count : NAN;
  double sq = 0;
  for (double v : values)
    if (std::isfinite(v)) sq += (v - mean) * (v - mean);
  sd = count > 1 ? std::sqrt(sq / (count - 1)) : count == 1 ? 0 : NAN;
}

std::string pad(std::string s, size_t width, bool right) {
  // Width in characters as shown: "±" is 2 bytes in UTF-8 but one column.
  size_t shown = 0;
  for (unsigned char c : s) shown += (c & 0xC0) != 0x80;
  if (shown < width) s = right ? std::string(width - shown, ' ') + s : s + std::string(width - shown, ' ');
  return s;
}

std::string html_table(const std::vector<Run>& runs, const std::vector<Group>& groups, int64_t budget) {
  const std::string at = "best@" + std::to_string(budget);
  std::string h = "<table class=\"runs\">\n<tr><th>run</th><th>strategy</th><th>space</th><th>seed</th><th>trials</th>"
                  "<th>" + at + "</th><th>best</th></tr>\n";
  for (const Run& r : runs)
    h += "<tr><td>" + xml_escape(r.label) + "</td><td>" + xml_escape(r.data.strategy()) + "</td><td>" +
         xml_escape(r.data.space()) + "</td><td class=\"num\">" + std::to_string(r.data.seed()) +
         "</td><td class=\"num\">" + std::to_string(r.data.trials.size()) + "</td><td class=\"num\">" +
         pct(r.at_budget) + "</td><td class=\"num\">" + pct(r.best.empty() ? NAN : r.best.back()) + "</td></tr>\n";
  h += "</table>\n<table class=\"groups\">\n<tr><th>strategy</th><th>runs</th><th>" + at +
       " (mean ± std)</th></tr>\n";
  for (const Group& g : groups)
    h += "<tr><td>" + xml_escape(g.name) + "</td><td class=\"num\">" + std::to_string(g.runs.size()) +
         "</td><td class=\"num\">" + xml_escape(mean_std(g)) + "</td></tr>\n";
  return h + "</table>\n";
}

// Best-so-far per strategy over the first `budget` trials: the mean line and a +-1 std band.
std::string curves_plot(const std::vector<Run>& runs, const std::vector<Group>& groups, int64_t budget) {
  Plot p{.id = "plot-compare", .title = "Best validation accuracy so far (mean ± std over runs)", .x_label = "trial",
         .y_label = "best validation accuracy", .width = 900, .height = 420, .y_percent = true,
         .x_integer = true};
  for (size_t k = 0; k < groups.size(); ++k) {
    Series s{.name = groups[k].name + " (" + std::to_string(groups[k].runs.size()) + ")",
             .color = kColors[k % std::size(kColors)], .step = true};
    for (int64_t i = 0; i < budget; ++i) {
      std::vector<double> values;
      for (size_t r : groups[k].runs) values.push_back(runs[r].best[size_t(i)]);
      double mean, sd;
      int count;
      summarise(values, mean, sd, count);
      if (count == 0) continue;
      s.x.push_back(double(i + 1));
      s.y.push_back(mean);
      s.lo.push_back(mean - sd);
      s.hi.push_back(mean + sd);
    }
    p.series.push_back(std::move(s));
  }
  return render_plot(p);
}

}  // namespace

int cmd_compare(Flags& flags) {
  if (flags.has("help")) {
    std::cout << kHelp;
    return 0;
  }
  const std::string html = flags.text("html", "");
  const int64_t asked = flags.integer("trials", 0, 0, INT64_MAX);
  const std::vector<std::string> dirs = flags.positionals();
  flags.finish();
  NF_CHECK(!dirs.empty(), "nasforge compare: expected experiment directories (usage: nasforge compare DIR...)");

  std::vector<Run> runs;
  for (const std::string& d : dirs) {
    Run r{.label = d, .data = load_run(d)};
    r.best = best_so_far(r.data.trials);
    runs.push_back(std::move(r));
  }
  int64_t budget = INT64_MAX;
  std::string smallest;
  for (const Run& r : runs)
    if (int64_t(r.data.trials.size()) < budget) budget = int64_t(r.data.trials.size()), smallest = r.label;
  NF_CHECK(budget > 0, "nasforge compare: ", smallest, " has no trials yet");
  if (asked > 0) {
    NF_CHECK(asked <= budget, "nasforge compare: --trials ", asked, " is more than ", smallest, " has (", budget, ")");
    budget = asked;
  }
  for (Run& r : runs) r.at_budget = r.best[size_t(budget - 1)];

  // Groups by strategy (and space, when the runs searched different spaces), in order of appearance.
  bool one_space = true;
  for (const Run& r : runs) one_space &= r.data.space() == runs[0].data.space();
  std::vector<Group> groups;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::string name = one_space ? runs[i].data.strategy() : runs[i].data.strategy() + " (" + runs[i].data.space() + ")";
    auto [it, added] = index.emplace(name, groups.size());
    if (added) groups.push_back({.name = name});
    groups[it->second].runs.push_back(i);
  }
  for (Group& g : groups) {
    std::vector<double> values;
    for (size_t r : g.runs) values.push_back(runs[r].at_budget);
    summarise(values, g.mean, g.sd, g.counted);
  }

  // The terminal table.
  size_t label_width = 3;
  for (const Run& r : runs) label_width = std::max(label_width, r.label.size());
  const std::string at = "best@" + std::to_string(budget);
  std::cout << "equal budget: the first " << budget << " trials of each run\n\n";
  std::cout << pad("run", label_width, false) << "  " << pad("strategy", 10, false) << "  " << pad("space", 6, false)
            << "  " << pad("seed", 5, true) << "  " << pad("trials", 6, true) << "  " << pad(at, 10, true) << "  "
            << pad("best", 8, true) << "\n";
  for (const Run& r : runs)
    std::cout << pad(r.label, label_width, false) << "  " << pad(r.data.strategy(), 10, false) << "  "
              << pad(r.data.space(), 6, false) << "  " << pad(std::to_string(r.data.seed()), 5, true) << "  "
              << pad(std::to_string(r.data.trials.size()), 6, true) << "  " << pad(pct(r.at_budget), 10, true) << "  "
              << pad(pct(r.best.back()), 8, true) << "\n";
  size_t group_width = 8;
  for (const Group& g : groups) group_width = std::max(group_width, g.name.size());
  std::cout << "\n" << pad("strategy", group_width, false) << "  " << pad("runs", 4, true) << "  "
            << pad(at + " mean ± std", 22, true) << "\n";
  for (const Group& g : groups)
    std::cout << pad(g.name, group_width, false) << "  " << pad(std::to_string(g.runs.size()), 4, true) << "  "
              << pad(mean_std(g), 22, true) << "\n";

  if (!html.empty()) {
    std::string body = "<h1>Comparison of " + std::to_string(runs.size()) + " searches</h1>\n<p class=\"sub\">At equal "
                       "budget: the best validation accuracy within the first " + std::to_string(budget) +
                       " trials of each run; mean ± sample standard deviation over each strategy's runs.</p>\n";
    body += "<div class=\"plots\">\n" + curves_plot(runs, groups, budget) + "</div>\n";
    body += html_table(runs, groups, budget);
    nn::write_file_atomic(html, html_page("nasforge compare", body));
    std::cout << "\nwrote " << html << "\n";
  }
  return 0;
}

}  // namespace nf::tools
