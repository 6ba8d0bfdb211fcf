// The HTML report of an experiment directory (`nasforge report DIR`, and
// written at the end of every `nasforge search`): one self-contained file,
// DIR/report.html (inline SVG and CSS; no script, no network), with
//   - a summary: space, strategy, seed, trials (failed, cached), best accuracy
//   - best-so-far validation accuracy over trials and over trial wall time
//   - validation accuracy vs parameters, MACs and batch-1 latency, each with
//     its two-objective Pareto front ringed, and the three-objective front
//     (accuracy, params, MACs, as pareto.json) as a table
//   - the top genotypes as cell diagrams (tools/cell_diagram.h), with a
//     Graphviz file best-<k>.dot beside report.html for each
//   - the failed trials with their reasons; every trial in a folded table
//   - the retrained winner's training curves, when DIR/retrain/metrics.jsonl
//     exists (or ReportOptions::retrain_dir is given)
//   - config.json and the environment (CPU, threads, compiler, date) as tables
// Element ids the tests rely on: svg#plot-best-trials, #plot-best-time,
// #plot-params, #plot-macs, #plot-latency (when latencies were measured),
// #plot-retrain-acc, #plot-retrain-loss; span#best-accuracy.
#pragma once
#include <filesystem>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace nf::tools {

struct ReportOptions {
  std::filesystem::path retrain_dir;  // a `nasforge train` run dir; empty: DIR/retrain if it has metrics.jsonl
  std::filesystem::path out;          // the HTML file; empty: DIR/report.html
  int top = 3;                        // genotypes drawn
};

struct ReportFiles {
  std::filesystem::path html;
  std::vector<std::filesystem::path> dots;  // best-1.dot, ... beside the HTML
  size_t trials = 0;
  double best_accuracy = 0;  // NaN when no trial succeeded
};

// Reads DIR (read-only, see tools/run_data.h) and writes the report and DOT files.
// Throws nf::Error naming the file on bad input.
ReportFiles write_report(const std::filesystem::path& dir, const ReportOptions& options = {});

// For the end of a search: writes the report and prints "report:   PATH", or a
// warning line when that fails. Never throws: a report must not fail a search.
void write_report_after_search(const std::filesystem::path& dir, std::ostream& out) noexcept;

// A complete HTML page: <!DOCTYPE html>, the shared style sheet, `title`
// (escaped here) and `body` (already HTML).
std::string html_page(std::string_view title, std::string_view body);

// Rows of a two-column table from a JSON object, nested keys joined with '.'
// ("protocol.lr" | "0.1"), values escaped.
std::string json_table(const nlohmann::json& j);

// Environment of this process: CPU model, threads, compiler, version, OS, date.
std::vector<std::pair<std::string, std::string>> environment();

// Sections shared with the DARTS report (tools/report_darts.h):
// "Retrained winner" from a `nasforge train` run directory (metrics.jsonl:
// svg#plot-retrain-acc and #plot-retrain-loss, a table per epoch)...
std::string retrain_html(const std::filesystem::path& run_dir);
// ...and "Configuration" (config.json of `dir`) + "Environment".
std::string config_html(const std::filesystem::path& dir, const nlohmann::json& config);

}  // namespace nf::tools
