// The asynchronous multi-trial search (dist/async_search.h) on 3 ranks
// (mpirun -np 3): rank 0 plans, ranks 1 and 2 train a cheap synthetic
// objective. It evaluates exactly the trials it reports (no loss, no
// duplicate), a genotype already training is not trained again, a worker that
// throws gives a failed trial; and, in one process, one trial at a time
// equals nas::run_search and a search killed with trials in flight resumes
// without losing or retraining a finished trial.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "dist/async_search.h"
#include "dist/comm.h"
#include "dist/trial_pool.h"
#include "nas/experiment.h"
#include "nas/search.h"
#include "nas/space.h"
#include "nas/strategy.h"
#include "tensor/error.h"
#include "tests/temp_dir.h"
#include "tests/test_mpi_main.h"

using namespace nf;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

int R() { return dist::rank(); }

using nf::testing::TempDir;

// The synthetic objective: a value in [0, 1) from the genotype's hash.
double objective(const nas::Genotype& g) { return double(nas::hash(g) % 1000) / 1000.0; }

nas::Evaluation synthetic(const nas::Genotype& g) {
  nas::Evaluation e;
  e.val_accuracy = objective(g);
  e.cost.params = int64_t(nas::hash(g) % 977);
  e.seconds = 0.25;
  e.steps = 1;
  return e;
}

nas::Genotype nb201(int64_t index) { return nas::Nb201Genotype::from_index(index); }

// Proposes a fixed list (test code: to force duplicates in flight).
class ScriptedStrategy final : public nas::Strategy {
 public:
  ScriptedStrategy(const nas::SearchSpace& space, std::vector<nas::Genotype> script)
      : Strategy(space, 0), script_(std::move(script)) {}
  std::string_view name() const override { return "scripted"; }
  nas::Genotype propose() override {
    NF_CHECK(next_ < script_.size(), "scripted strategy: script exhausted");
    ++num_proposed_;
    return script_[next_++];
  }
  void observe(const nas::Genotype&, const nas::TrialResult&) override { ++num_observed_; }
  json options() const override { return json::object(); }

 protected:
  json save_state() const override { return {{"next", next_}}; }
  void load_state(const json& s) override { next_ = s.at("next").get<size_t>(); }

 private:
  std::vector<nas::Genotype> script_;
  size_t next_ = 0;
};

constexpr int kTrainedTag = 500;

// Runs a search over all ranks: rank 0 plans in a new experiment, the others
// train with `evaluate` and report the hashes of what they trained. Returns,
// on rank 0, the trained hashes by worker rank (empty elsewhere).
std::map<int, std::vector<uint64_t>> search_on_ranks(const fs::path& dir, nas::Strategy* strategy,
                                                    const nas::EvaluateFn& evaluate, int64_t trials) {
  std::map<int, std::vector<uint64_t>> trained;
  if (R() != 0) {
    std::vector<uint64_t> mine;
    dist::serve_trials([&](const nas::Genotype& g) {
      mine.push_back(nas::hash(g));
      return evaluate(g);
    });
    dist::send_json(mine, 0, kTrainedTag);
    return trained;
  }
  nas::Experiment e = nas::Experiment::create(dir, {{"test", "mpi"}});
  {
    dist::MpiTrialPool pool;
    dist::run_async_search(e, *strategy, pool, {.max_trials = trials, .max_seconds = 0});
  }
  for (int r = 1; r < dist::size(); ++r) {
    const dist::Message m = dist::recv_json(r, kTrainedTag);
    trained[r] = m.body.get<std::vector<uint64_t>>();
  }
  return trained;
}

std::vector<json> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

}  // namespace

TEST(MpiSearch, EvaluatesExactlyTheTrialsItReports) {
  TempDir tmp;
  auto space = nas::make_space({{"space", "nb201"}});
  auto strategy = nas::make_strategy("evolution", *space, {{"budget", 30}, {"population_size", 6}}, 5);
  // Uneven trial times, so results come back out of order; every sixth genotype throws.
  const auto trained = search_on_ranks(tmp.path / "exp", strategy.get(), [](const nas::Genotype& g) {
    std::this_thread::sleep_for(std::chrono::milliseconds(nas::hash(g) % 7));
    if (nas::hash(g) % 6 == 0) throw std::runtime_error("synthetic failure");
    return synthetic(g);
  }, 30);
  if (R() != 0) return;

  const nas::Experiment e = nas::Experiment::open(tmp.path / "exp");
  ASSERT_EQ(e.trials().size(), 30u);
  std::map<uint64_t, int> recorded;  // trained (not cached) trials by hash
  for (size_t i = 0; i < e.trials().size(); ++i) {
    const nas::TrialRecord& t = e.trials()[i];
    EXPECT_EQ(t.trial, int64_t(i));
    if (t.cached) continue;
    ++recorded[nas::hash(t.genotype)];
    if (nas::hash(t.genotype) % 6 == 0) {
      EXPECT_TRUE(t.eval.failed) << "trial " << i;
      EXPECT_NE(t.eval.reason.find("synthetic failure"), std::string::npos) << t.eval.reason;
      EXPECT_NE(t.eval.reason.find("rank "), std::string::npos) << t.eval.reason;
    } else {
      EXPECT_FALSE(t.eval.failed) << "trial " << i;
      EXPECT_EQ(t.eval.val_accuracy, objective(t.genotype)) << "trial " << i << ": a result of another genotype";
    }
  }
  std::map<uint64_t, int> on_workers;
  for (const auto& [rank, hashes] : trained) {
    EXPECT_FALSE(hashes.empty()) << "rank " << rank << " trained nothing";
    for (uint64_t h : hashes) ++on_workers[h];
  }
  EXPECT_EQ(on_workers, recorded) << "the workers trained other trials than the experiment records";
  for (const auto& [h, n] : recorded) EXPECT_EQ(n, 1) << "genotype " << h << " trained " << n << " times";
  // Every proposal observed, none pending.
  const json state = *e.strategy_state();
  EXPECT_EQ(state["trials"], 30);
  EXPECT_FALSE(state.contains("pending"));
  EXPECT_EQ(state["strategy"]["proposed"], 30);
  EXPECT_EQ(state["strategy"]["observed"], 30);
}

TEST(MpiSearch, AGenotypeAlreadyTrainingWaitsForThatResultAndAThrowingWorkerFailsItsTrial) {
  TempDir tmp;
  auto space = nas::make_space({{"space", "nb201"}});
  const nas::Genotype a = nb201(11), b = nb201(22), c = nb201(33), d = nb201(44);
  ScriptedStrategy strategy(*space, {a, a, b, a, c, d});
  const auto trained = search_on_ranks(tmp.path / "exp", &strategy, [&](const nas::Genotype& g) {
    if (g == a) std::this_thread::sleep_for(std::chrono::milliseconds(150));  // a runs while its copies come
    if (g == c) throw std::runtime_error("boom on purpose");
    return synthetic(g);
  }, 6);
  if (R() != 0) return;

  const nas::Experiment e = nas::Experiment::open(tmp.path / "exp");
  ASSERT_EQ(e.trials().size(), 6u);
  int cached = 0, trained_a = 0;
  for (const auto& t : e.trials()) {
    if (t.genotype == a) {
      EXPECT_EQ(t.eval.val_accuracy, objective(a));
      cached += t.cached ? 1 : 0;
      trained_a += t.cached ? 0 : 1;
    } else {
      EXPECT_FALSE(t.cached);
    }
    if (t.genotype == c) {
      EXPECT_TRUE(t.eval.failed);
      EXPECT_NE(t.eval.reason.find("boom on purpose"), std::string::npos) << t.eval.reason;
    }
  }
  EXPECT_EQ(trained_a, 1);
  EXPECT_EQ(cached, 2);
  std::map<uint64_t, int> on_workers;
  for (const auto& [rank, hashes] : trained)
    for (uint64_t h : hashes) ++on_workers[h];
  EXPECT_EQ(on_workers, (std::map<uint64_t, int>{{nas::hash(a), 1}, {nas::hash(b), 1}, {nas::hash(c), 1},
                                                 {nas::hash(d), 1}}));
}

// --- in one process (rank 0 only) ---------------------------------------------------

// One trial at a time, the asynchronous loop is nas::run_search: same trials, same strategy state.
TEST(AsyncSearch, OneTrialAtATimeEqualsRunSearch) {
  if (R() != 0) GTEST_SKIP() << "in-process test: rank 0 runs it";
  TempDir tmp;
  auto space = nas::make_space({{"space", "nb201"}});
  auto s1 = nas::make_strategy("evolution", *space, {{"budget", 16}, {"population_size", 5}}, 3);
  auto s2 = nas::make_strategy("evolution", *space, {{"budget", 16}, {"population_size", 5}}, 3);
  nas::Experiment serial = nas::Experiment::create(tmp.path / "serial", {{"test", 1}});
  nas::Experiment async = nas::Experiment::create(tmp.path / "async", {{"test", 1}});
  nas::run_search(serial, *s1, synthetic, {.max_trials = 16, .max_seconds = 0});
  dist::LocalTrialPool pool(synthetic);
  dist::run_async_search(async, *s2, pool, {.max_trials = 16, .max_seconds = 0});
  EXPECT_EQ(read_lines(tmp.path / "serial" / "trials.jsonl"), read_lines(tmp.path / "async" / "trials.jsonl"));
  EXPECT_EQ(*serial.strategy_state(), *async.strategy_state());
}

// Several trials in flight, results in reverse start order, and a "kill" (an
// exception) after some results: the files keep every finished trial and list
// the ones in flight as pending; the resumed search trains those first, and no
// genotype is trained twice.
class ReversePool final : public dist::TrialPool {
 public:
  ReversePool(int kill_after, std::map<uint64_t, int>& trained) : kill_after_(kill_after), trained_(trained) {}
  int64_t capacity() const override { return 3; }
  void start(int64_t id, const nas::Genotype& g) override { started_.emplace_back(id, g); }
  std::pair<int64_t, nas::Evaluation> wait() override {
    if (kill_after_ >= 0 && returned_ == kill_after_) throw std::runtime_error("killed");
    auto [id, g] = started_.back();  // the last started finishes first
    started_.pop_back();
    ++returned_;
    ++trained_[nas::hash(g)];
    return {id, synthetic(g)};
  }

 private:
  int kill_after_, returned_ = 0;
  std::map<uint64_t, int>& trained_;
  std::vector<std::pair<int64_t, nas::Genotype>> started_;
};

TEST(AsyncSearch, AKilledSearchWithTrialsInFlightResumesWithoutLosingOrRetrainingAnyTrial) {
  if (R() != 0) GTEST_SKIP() << "in-process test: rank 0 runs it";
  TempDir tmp;
  const fs::path dir = tmp.path / "exp";
  auto space = nas::make_space({{"space", "nb201"}});
  const json options = {{"budget", 14}, {"population_size", 4}};
  std::map<uint64_t, int> trained;
  {
    auto s = nas::make_strategy("evolution", *space, options, 8);
    nas::Experiment e = nas::Experiment::create(dir, {{"test", 2}});
    ReversePool pool(5, trained);
    EXPECT_THROW(dist::run_async_search(e, *s, pool, {.max_trials = 14, .max_seconds = 0}), std::runtime_error);
  }
  const std::vector<json> before = read_lines(dir / "trials.jsonl");
  ASSERT_EQ(before.size(), 5u);
  const json state = nas::Experiment::open(dir).strategy_state().value();
  ASSERT_TRUE(state.contains("pending"));
  EXPECT_EQ(state["pending"].size(), 3u) << "three trials were in flight";

  auto s = nas::make_strategy("evolution", *space, options, 8);
  nas::Experiment e = nas::Experiment::open(dir);
  ReversePool pool(-1, trained);
  dist::run_async_search(e, *s, pool, {.max_trials = 14, .max_seconds = 0});
  const std::vector<json> after = read_lines(dir / "trials.jsonl");
  ASSERT_EQ(after.size(), 14u);
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]) << "trial " << i << " changed";
  std::map<uint64_t, int> recorded;
  for (const auto& t : e.trials())
    if (!t.cached) ++recorded[nas::hash(t.genotype)];
  EXPECT_EQ(trained, recorded);  // each trained once, and each training recorded
  for (const json& g : state["pending"]) {  // the trials in flight were trained after the resume
    const uint64_t h = nas::hash(g.get<nas::Genotype>());
    EXPECT_EQ(recorded.count(h), 1u);
  }
  EXPECT_FALSE(e.strategy_state()->contains("pending"));
}

// Files of nas::run_search interrupted between trials resume here, as they would there.
TEST(AsyncSearch, ResumesASerialSearchLikeRunSearchDoes) {
  if (R() != 0) GTEST_SKIP() << "in-process test: rank 0 runs it";
  TempDir tmp;
  auto space = nas::make_space({{"space", "nb201"}});
  const json options = {{"budget", 9}};
  {
    auto s = nas::make_strategy("reinforce", *space, options, 4);
    nas::Experiment e = nas::Experiment::create(tmp.path / "cut", {{"test", 3}});
    int calls = 0;
    EXPECT_THROW(nas::run_search(e, *s,
                                 [&](const nas::Genotype& g) {
                                   if (++calls == 4) throw std::runtime_error("stop");
                                   return synthetic(g);
                                 },
                                 {.max_trials = 9, .max_seconds = 0}),
                 std::runtime_error);
  }
  auto s1 = nas::make_strategy("reinforce", *space, options, 4);
  nas::Experiment cut = nas::Experiment::open(tmp.path / "cut");
  ASSERT_EQ(cut.trials().size(), 3u);
  dist::LocalTrialPool pool(synthetic);
  dist::run_async_search(cut, *s1, pool, {.max_trials = 9, .max_seconds = 0});
  auto s2 = nas::make_strategy("reinforce", *space, options, 4);
  nas::Experiment whole = nas::Experiment::create(tmp.path / "whole", {{"test", 3}});
  nas::run_search(whole, *s2, synthetic, {.max_trials = 9, .max_seconds = 0});
  EXPECT_EQ(read_lines(tmp.path / "cut" / "trials.jsonl"), read_lines(tmp.path / "whole" / "trials.jsonl"));
}

NF_MPI_TEST_MAIN
