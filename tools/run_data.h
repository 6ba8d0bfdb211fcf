// Read-only access to the directories the reports draw from: an experiment
// directory (nas/experiment.h: config.json, trials.jsonl) and a training run
// directory (tools/cmd_train.cpp: metrics.jsonl). Unlike nas::Experiment::open
// nothing is ever written (a search may still be appending to the files): a
// torn last line without its newline is skipped, any other bad line is an
// nf::Error naming the file and line.
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nas/experiment.h"

namespace nf::tools {

struct RunData {
  std::filesystem::path dir;
  nlohmann::json config;  // config.json
  std::vector<nas::TrialRecord> trials;

  std::string space() const;     // config.space.space ("?" when absent)
  std::string strategy() const;  // config.strategy.name
  int64_t seed() const;          // config.strategy.seed (-1 when absent)
};

// Throws nf::Error naming the file: no directory, no config.json, a config.json
// that is not a JSON object, a malformed or out-of-order trials.jsonl line.
RunData load_run(const std::filesystem::path& dir);

// One JSON object per line of metrics.jsonl (in epoch order); errors name the file and line.
std::vector<nlohmann::json> load_metrics(const std::filesystem::path& file);

// best[i]: the highest validation accuracy among trials[0..i] that did not fail
// (NaN until the first success).
std::vector<double> best_so_far(const std::vector<nas::TrialRecord>& trials);

// Indices of the successful trials that no other successful trial beats on
// accuracy and cost at once (cost[i] lower is better), by increasing cost.
std::vector<size_t> pareto_front_2d(const std::vector<nas::TrialRecord>& trials, const std::vector<double>& cost);

}  // namespace nf::tools
