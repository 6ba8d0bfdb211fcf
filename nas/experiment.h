// An experiment directory: everything a search writes, so that a crash or
// `kill -9` loses at most the trial that was running.
//
//   config.json    what is searched and how (space, strategy, network, protocol,
//                  data, budget); written when the experiment is created (a
//                  resume may extend the budget: set_config)
//   trials.jsonl   one JSON line per finished trial, appended and fsync'ed as
//                  each ends; never rewritten (but a torn last line left by a
//                  crash mid-write is cut off when the experiment is reopened)
//   strategy.json  the strategy's state after the last observed trial (atomic)
//   best.json      the best trial so far, with the space and network configs
//                  that `nasforge train --genotype` needs to rebuild it (atomic)
//   pareto.json    the trials no other trial beats on validation accuracy,
//                  parameters and MACs at once (atomic)
#pragma once
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "nas/evaluator.h"
#include "nas/genotype.h"

namespace nf::nas {

struct TrialRecord {
  int64_t trial = 0;  // 0-based, in order of completion
  Genotype genotype;
  Evaluation eval;
  bool cached = false;  // the result was reused from an earlier trial of the same genotype
};
void to_json(nlohmann::json& j, const TrialRecord& r);    // adds "hash" and "notation" for readers
void from_json(const nlohmann::json& j, TrialRecord& r);  // strict; nf::Error on bad input

class Experiment {
 public:
  // Creates `dir` (and parents) and writes config.json. Throws nf::Error when
  // dir already holds an experiment.
  static Experiment create(const std::filesystem::path& dir, const nlohmann::json& config);
  // Opens an existing experiment: reads config.json and trials.jsonl. A last
  // line without its newline (a crash mid-write) is dropped from the file; any
  // other malformed line is an error naming the file and line.
  static Experiment open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const nlohmann::json& config() const { return config_; }
  void set_config(const nlohmann::json& config);  // rewrites config.json atomically
  const std::vector<TrialRecord>& trials() const { return trials_; }
  // Index into trials() of the best successful trial (highest validation accuracy;
  // earliest on ties), if any.
  std::optional<size_t> best() const { return best_; }
  // Indices into trials() of the accuracy/params/MACs Pareto front, by accuracy.
  std::vector<size_t> pareto_front() const;
  // Sum of the recorded trials' wall times: what a time budget has spent.
  double seconds_spent() const;

  // Appends r (r.trial must be trials().size()) durably to trials.jsonl, then
  // rewrites best.json and pareto.json.
  void append(const TrialRecord& r);

  std::optional<nlohmann::json> strategy_state() const;  // strategy.json, if written
  void save_strategy_state(const nlohmann::json& state);

 private:
  Experiment(std::filesystem::path dir, nlohmann::json config) : dir_(std::move(dir)), config_(std::move(config)) {}
  void add(TrialRecord r);  // updates trials_ and best_
  void write_summaries() const;

  std::filesystem::path dir_;
  nlohmann::json config_;
  std::vector<TrialRecord> trials_;
  std::optional<size_t> best_;
};

}  // namespace nf::nas
