#include "tools/run_data.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

#include "tensor/error.h"

namespace nf::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  NF_CHECK(in.good(), "cannot read ", path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The complete lines of a JSON-lines file (a torn last line is left out).
std::vector<std::string> complete_lines(const fs::path& path) {
  const std::string text = read_text(path);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  return lines;
}

}  // namespace

std::string RunData::space() const {
  const json* s = config.contains("space") ? &config["space"] : nullptr;
  return s && s->is_object() && s->contains("space") && (*s)["space"].is_string() ? (*s)["space"].get<std::string>()
                                                                                   : "?";
}

std::string RunData::strategy() const {
  const json* s = config.contains("strategy") ? &config["strategy"] : nullptr;
  return s && s->is_object() && s->contains("name") && (*s)["name"].is_string() ? (*s)["name"].get<std::string>()
                                                                                 : "?";
}

int64_t RunData::seed() const {
  const json* s = config.contains("strategy") ? &config["strategy"] : nullptr;
  return s && s->is_object() && s->contains("seed") && (*s)["seed"].is_number_integer() ? (*s)["seed"].get<int64_t>()
                                                                                         : -1;
}

RunData load_run(const fs::path& dir) {
  NF_CHECK(fs::is_directory(dir), "no experiment directory ", dir.string());
  const fs::path config_path = dir / "config.json", trials_path = dir / "trials.jsonl";
  NF_CHECK(fs::exists(config_path), "no config.json in ", dir.string(), " (not an experiment directory)");
  RunData run;
  run.dir = dir;
  run.config = json::parse(read_text(config_path), nullptr, false);
  NF_CHECK(!run.config.is_discarded() && run.config.is_object(), config_path.string(), " is not a JSON object");
  NF_CHECK(fs::exists(trials_path), "no trials.jsonl in ", dir.string());
  const std::vector<std::string> lines = complete_lines(trials_path);
  for (size_t i = 0; i < lines.size(); ++i) {
    try {
      nas::TrialRecord r = json::parse(lines[i]).get<nas::TrialRecord>();
      NF_CHECK(r.trial == int64_t(run.trials.size()), "trial ", r.trial, " out of order (expected ",
               run.trials.size(), ")");
      run.trials.push_back(std::move(r));
    } catch (const std::exception& e) {
      NF_FAIL(trials_path.string(), " line ", i + 1, ": ", e.what());
    }
  }
  return run;
}

std::vector<json> load_metrics(const fs::path& file) {
  std::vector<json> out;
  const std::vector<std::string> lines = complete_lines(file);
  for (size_t i = 0; i < lines.size(); ++i) {
    json j = json::parse(lines[i], nullptr, false);
    NF_CHECK(!j.is_discarded() && j.is_object() && j.contains("epoch") && j["epoch"].is_number_integer(),
             file.string(), " line ", i + 1, ": expected a JSON object with an integer \"epoch\"");
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<double> best_so_far(const std::vector<nas::TrialRecord>& trials) {
  std::vector<double> best;
  double b = std::numeric_limits<double>::quiet_NaN();
  for (const auto& t : trials) {
    if (!t.eval.failed && (std::isnan(b) || t.eval.val_accuracy > b)) b = t.eval.val_accuracy;
    best.push_back(b);
  }
  return best;
}

std::vector<size_t> pareto_front_2d(const std::vector<nas::TrialRecord>& trials, const std::vector<double>& cost) {
  NF_CHECK(cost.size() == trials.size(), "pareto_front_2d: ", cost.size(), " costs for ", trials.size(), " trials");
  std::vector<size_t> ok;
  for (size_t i = 0; i < trials.size(); ++i)
    if (!trials[i].eval.failed && std::isfinite(cost[i])) ok.push_back(i);
  // Cheapest first, the most accurate first among equal costs: then a point is
  // on the front exactly when it beats every cheaper point's accuracy.
  std::stable_sort(ok.begin(), ok.end(), [&](size_t a, size_t b) {
    return cost[a] != cost[b] ? cost[a] < cost[b] : trials[a].eval.val_accuracy > trials[b].eval.val_accuracy;
  });
  std::vector<size_t> front;
  for (size_t i : ok)
    if (front.empty() || trials[i].eval.val_accuracy > trials[front.back()].eval.val_accuracy) front.push_back(i);
  return front;
}

}  // namespace nf::tools
