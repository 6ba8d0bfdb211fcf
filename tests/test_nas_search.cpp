// The search loop and its experiment directory (nas/search.h,
// nas/experiment.h), driven by a cheap synthetic evaluation: the objective of an
// NB201 cell is the fraction of its edges that carry nor_conv_3x3, and failures
// are injected by genotype.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "nas/experiment.h"
#include "nas/notation.h"
#include "nas/search.h"
#include "nas/space.h"
#include "nas/strategy.h"
#include "tensor/error.h"
#include "tests/temp_dir.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace nf::nas;

namespace {

using nf::testing::TempDir;

// Counts real evaluations; conv3x3 share as accuracy, 1000 params per conv edge;
// cells whose first edge is 'none' fail (as a diverging network would).
struct SyntheticEvaluation {
  int calls = 0;
  Evaluation operator()(const Genotype& g) {
    ++calls;
    const auto& cell = std::get<Nb201Genotype>(g);
    Evaluation e;
    int convs = 0;
    for (Nb201Op op : cell.ops) convs += op == Nb201Op::nor_conv_3x3;
    e.val_accuracy = convs / 6.0;
    e.cost.params = 1000 * convs + 10;
    e.cost.macs = 5000 * convs + 10;
    e.seconds = 1.5;
    if (cell.ops[0] == Nb201Op::none) {
      e.failed = true;
      e.reason = "training loss became nan at step 3/10";
    }
    return e;
  }
};

json config_for(const std::string& strategy) {
  return {{"space", {{"space", "nb201"}}}, {"strategy", {{"name", strategy}, {"seed", 5}}}, {"network", json::object()}};
}

std::vector<Genotype> genotypes_of(const Experiment& e) {
  std::vector<Genotype> out;
  for (const auto& t : e.trials()) out.push_back(t.genotype);
  return out;
}

std::unique_ptr<Strategy> fresh(const SearchSpace& space, const std::string& name) {
  return make_strategy(name, space, {{"budget", 40}}, 5);
}

}  // namespace

TEST(Search, RecordsEveryTrialAndKeepsBestAndParetoFiles) {
  TempDir dir;
  auto space = make_space({{"space", "nb201"}});
  auto strategy = fresh(*space, "evolution");
  auto experiment = Experiment::create(dir.path / "exp", config_for("evolution"));
  SyntheticEvaluation eval;
  int started = 0, ended = 0;
  run_search(experiment, *strategy, std::ref(eval), {.max_trials = 40},
             {.on_trial_start = [&](int64_t t, const Genotype&) { EXPECT_EQ(t, started++); },
              .on_trial_end = [&](const Experiment& e) { EXPECT_EQ(int64_t(e.trials().size()), ++ended); }});
  ASSERT_EQ(experiment.trials().size(), 40u);
  EXPECT_EQ(started, 40);
  EXPECT_EQ(strategy->num_observed(), 40);

  // Cached trials repeat an earlier genotype and were not evaluated again.
  std::set<uint64_t> seen;
  int cached = 0;
  for (const auto& t : experiment.trials()) {
    EXPECT_EQ(t.cached, seen.count(hash(t.genotype)) == 1) << "trial " << t.trial;
    cached += t.cached;
    seen.insert(hash(t.genotype));
  }
  EXPECT_EQ(eval.calls, 40 - cached);

  // best.json: the highest accuracy, with what a retrain needs.
  std::ifstream best_in(dir.path / "exp" / "best.json");
  const json best = json::parse(best_in);
  double top = 0;
  for (const auto& t : experiment.trials())
    if (!t.eval.failed) top = std::max(top, t.eval.val_accuracy);
  EXPECT_DOUBLE_EQ(best["val_accuracy"].get<double>(), top);
  EXPECT_EQ(best["space"], json({{"space", "nb201"}}));
  EXPECT_TRUE(best.contains("network"));
  EXPECT_EQ(best["genotype"].get<Genotype>(), experiment.trials()[*experiment.best()].genotype);

  // pareto.json: nothing on the front is dominated; everything off it is (or failed, or is cached).
  std::ifstream pareto_in(dir.path / "exp" / "pareto.json");
  const json pareto = json::parse(pareto_in);
  std::set<int64_t> front;
  for (const auto& p : pareto["trials"]) front.insert(p["trial"].get<int64_t>());
  ASSERT_FALSE(front.empty());
  for (const auto& t : experiment.trials()) {
    if (t.eval.failed || t.cached) {
      EXPECT_EQ(front.count(t.trial), 0u);
      continue;
    }
    bool dominated = false;
    for (const auto& o : experiment.trials())
      dominated |= !o.eval.failed && o.eval.val_accuracy >= t.eval.val_accuracy &&
                   o.eval.cost.params <= t.eval.cost.params && o.eval.cost.macs <= t.eval.cost.macs &&
                   (o.eval.val_accuracy > t.eval.val_accuracy || o.eval.cost.params < t.eval.cost.params);
    EXPECT_EQ(front.count(t.trial) == 1, !dominated) << "trial " << t.trial;
  }
}

TEST(Search, TimeBudgetCountsRecordedTrialSeconds) {
  TempDir dir;
  auto space = make_space({{"space", "nb201"}});
  auto strategy = fresh(*space, "random");
  auto experiment = Experiment::create(dir.path, config_for("random"));
  SyntheticEvaluation eval;
  run_search(experiment, *strategy, std::ref(eval), {.max_seconds = 10});  // 1.5 s per trial
  EXPECT_EQ(experiment.trials().size(), 7u);
  EXPECT_DOUBLE_EQ(experiment.seconds_spent(), 10.5);
  EXPECT_THROW(run_search(experiment, *fresh(*space, "random"), std::ref(eval), {}), nf::Error);
}

// A search killed at any point and resumed records the same trials, in the same
// order, as one that never stopped; no finished trial is trained again.
TEST(Search, ResumeAfterACrashBetweenRecordAndCheckpointLosesAndRepeatsNothing) {
  for (const std::string name : {"random", "evolution", "reinforce"}) {
    SCOPED_TRACE(name);
    TempDir whole, broken;
    auto space = make_space({{"space", "nb201"}});
    SyntheticEvaluation eval_whole, eval_broken;
    auto uninterrupted = Experiment::create(whole.path, config_for(name));
    run_search(uninterrupted, *fresh(*space, name), std::ref(eval_whole), {.max_trials = 30});

    auto first = Experiment::create(broken.path, config_for(name));
    run_search(first, *fresh(*space, name), std::ref(eval_broken), {.max_trials = 12});
    const std::string state_after_12 = [&] {
      std::ifstream in(broken.path / "strategy.json");
      return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    {
      auto second = Experiment::open(broken.path);
      run_search(second, *fresh(*space, name), std::ref(eval_broken), {.max_trials = 13});
    }
    // The crash: trial 13 is in trials.jsonl but the strategy checkpoint is from trial 12,
    // and a 14th line was torn in the middle of its write.
    std::ofstream(broken.path / "strategy.json") << state_after_12;
    std::ofstream(broken.path / "trials.jsonl", std::ios::app) << R"({"trial": 13, "genot)";
    const int calls_before = eval_broken.calls;
    auto resumed = Experiment::open(broken.path);
    ASSERT_EQ(resumed.trials().size(), 13u);
    run_search(resumed, *fresh(*space, name), std::ref(eval_broken), {.max_trials = 30});

    EXPECT_EQ(genotypes_of(resumed), genotypes_of(uninterrupted));
    EXPECT_EQ(eval_broken.calls, eval_whole.calls);
    EXPECT_LE(eval_broken.calls - calls_before, 17);
    // The files agree with the run in memory.
    EXPECT_EQ(genotypes_of(Experiment::open(broken.path)), genotypes_of(uninterrupted));
  }
}

TEST(Search, ResumeRejectsTrialsThatTheStrategyWouldNotHaveProposed) {
  TempDir dir;
  auto space = make_space({{"space", "nb201"}});
  SyntheticEvaluation eval;
  {
    auto e = Experiment::create(dir.path, config_for("random"));
    run_search(e, *fresh(*space, "random"), std::ref(eval), {.max_trials = 3});
  }
  fs::remove(dir.path / "strategy.json");  // replay from scratch, but with another seed
  auto e = Experiment::open(dir.path);
  auto other = make_strategy("random", *space, {{"budget", 40}}, 6);
  try {
    run_search(e, *other, std::ref(eval), {.max_trials = 5});
    FAIL() << "expected an error";
  } catch (const nf::Error& err) {
    EXPECT_NE(std::string(err.what()).find("do not belong together"), std::string::npos) << err.what();
  }
}

TEST(Experiment, CreateRefusesAnExistingExperimentAndOpenNamesBadLines) {
  TempDir dir;
  {
    auto e = Experiment::create(dir.path, config_for("random"));
    TrialRecord r;
    r.genotype = Nb201Genotype::from_index(77);
    r.eval.val_accuracy = 0.5;
    e.append(r);
  }
  EXPECT_THROW(Experiment::create(dir.path, config_for("random")), nf::Error);
  auto reopened = Experiment::open(dir.path);
  ASSERT_EQ(reopened.trials().size(), 1u);
  EXPECT_EQ(reopened.trials()[0].genotype, Genotype(Nb201Genotype::from_index(77)));
  EXPECT_DOUBLE_EQ(reopened.trials()[0].eval.val_accuracy, 0.5);

  std::ofstream(dir.path / "trials.jsonl", std::ios::app) << "{\"trial\": 1, \"genotype\": {\"space\": \"nb201\"}}\n";
  try {
    Experiment::open(dir.path);
    FAIL() << "expected an error";
  } catch (const nf::Error& err) {
    const std::string msg = err.what();
    EXPECT_NE(msg.find("trials.jsonl line 2"), std::string::npos) << msg;
  }
  std::ofstream(dir.path / "config.json") << "{not json";
  EXPECT_THROW(Experiment::open(dir.path), nf::Error);
  EXPECT_THROW(Experiment::open(dir.path / "missing"), nf::Error);
}

TEST(Experiment, TrialRecordJsonRoundTripsAndNamesBadFields) {
  TrialRecord r;
  r.trial = 4;
  r.genotype = Nb201Genotype::from_index(1234);
  r.eval.val_accuracy = 0.875;
  r.eval.cost = {12345, 678900};
  r.eval.latency_ms = 1.25;
  r.eval.failed = true;
  r.eval.reason = "loss became nan";
  r.cached = true;
  const json j = r;
  EXPECT_EQ(j["notation"], to_string(r.genotype));
  EXPECT_EQ(j["hash"].get<std::string>().size(), 16u);
  const TrialRecord back = j.get<TrialRecord>();
  EXPECT_EQ(back.trial, 4);
  EXPECT_EQ(back.genotype, r.genotype);
  EXPECT_EQ(back.eval.cost.macs, 678900);
  EXPECT_EQ(back.eval.reason, "loss became nan");
  EXPECT_TRUE(back.cached && back.eval.failed);
  json bad = j;
  bad["params"] = "many";
  try {
    (void)bad.get<TrialRecord>();
    FAIL();
  } catch (const nf::Error& e) {
    EXPECT_NE(std::string(e.what()).find("params"), std::string::npos) << e.what();
  }
}
