#include "dist/async_search.h"

#include <algorithm>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <vector>

#include "nas/notation.h"
#include "tensor/error.h"

namespace nf::dist {

using json = nlohmann::json;
using nas::Genotype;

namespace {

nas::TrialResult to_trial_result(const nas::Evaluation& e) { return {e.val_accuracy, e.failed, e.reason}; }

json checkpoint(const nas::Strategy& s, int64_t trials, const std::deque<Genotype>& pending) {
  json j = {{"trials", trials}, {"strategy", s.save()}};
  if (!pending.empty()) j["pending"] = json(std::vector<Genotype>(pending.begin(), pending.end()));
  return j;
}

// Removes the first genotype equal to g; false when there is none.
bool take(std::deque<Genotype>& list, const Genotype& g) {
  auto it = std::find(list.begin(), list.end(), g);
  if (it == list.end()) return false;
  list.erase(it);
  return true;
}

// Restores the strategy, observes the recorded trials it had not seen, and
// returns the genotypes it proposed that are still unobserved (proposal order).
std::deque<Genotype> restore(nas::Experiment& experiment, nas::Strategy& strategy) {
  const std::string where = (experiment.dir() / "strategy.json").string();
  int64_t observed = 0;
  std::deque<Genotype> pending;
  if (auto state = experiment.strategy_state()) {
    const json& s = *state;
    NF_CHECK(s.is_object() && s.contains("trials") && s["trials"].is_number_integer() && s.contains("strategy"),
             "search: ", where, " lacks 'trials' or 'strategy'");
    observed = s["trials"].get<int64_t>();
    NF_CHECK(observed >= 0 && observed <= int64_t(experiment.trials().size()), "search: strategy.json has seen ",
             observed, " trials but trials.jsonl holds ", experiment.trials().size());
    strategy.load(s["strategy"]);
    if (s.contains("pending")) {
      NF_CHECK(s["pending"].is_array(), "search: ", where, ": 'pending' must be an array of genotypes");
      for (const json& g : s["pending"]) pending.push_back(g.get<Genotype>());
    }
  }
  const auto& trials = experiment.trials();
  for (size_t t = size_t(observed); t < trials.size(); ++t) {
    const Genotype& g = trials[t].genotype;
    if (!take(pending, g)) {
      // Written one trial at a time (nas::run_search): the restored strategy proposes it again.
      NF_CHECK(pending.empty(), "search: resuming ", experiment.dir().string(), ": trial ", t, " (",
               nas::to_string(g), ") is neither observed nor pending in strategy.json",
               " (the experiment's files do not belong together)");
      const Genotype p = strategy.propose();
      NF_CHECK(p == g, "search: resuming ", experiment.dir().string(), ": the strategy proposes ", nas::to_string(p),
               " for trial ", t, " but trials.jsonl records ", nas::to_string(g),
               " (the experiment's files do not belong together)");
    }
    strategy.observe(g, to_trial_result(trials[t].eval));
  }
  if (size_t(observed) < trials.size())
    experiment.save_strategy_state(checkpoint(strategy, int64_t(trials.size()), pending));
  return pending;
}

}  // namespace

void run_async_search(nas::Experiment& experiment, nas::Strategy& strategy, TrialPool& pool, nas::SearchBudget budget,
                      const nas::SearchCallbacks& callbacks) {
  NF_CHECK(budget.max_trials > 0 || budget.max_seconds > 0, "search: the budget needs a trial count or a time");
  NF_CHECK(strategy.num_proposed() == 0, "search: the strategy must be fresh (it has proposed ",
           strategy.num_proposed(), " genotypes)");
  NF_CHECK(pool.capacity() >= 1, "search: the trial pool has no room for a trial");
  std::deque<Genotype> unobserved = restore(experiment, strategy);  // proposed, not yet observed
  std::deque<Genotype> redo = unobserved;  // pending when the last run stopped: trained first
  const auto& trials = experiment.trials();

  // Results by genotype hash, from trials that really trained.
  std::unordered_map<uint64_t, size_t> first_of;
  for (size_t i = 0; i < trials.size(); ++i)
    if (!trials[i].cached) first_of.emplace(nas::hash(trials[i].genotype), i);

  std::map<int64_t, Genotype> running;                         // trial id -> genotype
  std::unordered_map<uint64_t, std::vector<Genotype>> waiting;  // duplicates of a running genotype, by hash
  int64_t num_waiting = 0, next_id = 0;
  bool unsaved = false;  // proposals strategy.json does not list yet

  auto save = [&] {
    experiment.save_strategy_state(checkpoint(strategy, int64_t(trials.size()), unobserved));
    unsaved = false;
  };
  auto record = [&](const Genotype& g, const nas::Evaluation& eval, bool cached) {
    if (unsaved) save();  // g must be in strategy.json before its result is in trials.jsonl
    nas::TrialRecord r;
    r.trial = int64_t(trials.size());
    r.genotype = g;
    r.eval = eval;
    r.cached = cached;
    if (cached) r.eval.seconds = 0;
    else first_of.emplace(nas::hash(g), trials.size());
    experiment.append(r);
    strategy.observe(g, to_trial_result(r.eval));
    take(unobserved, g);
    save();
    if (callbacks.on_trial_end) callbacks.on_trial_end(experiment);
  };
  auto in_flight = [&] { return int64_t(running.size()) + num_waiting; };
  auto may_start = [&] {
    if (budget.max_trials > 0 && int64_t(trials.size()) + in_flight() >= budget.max_trials) return false;
    return !(budget.max_seconds > 0 && experiment.seconds_spent() >= budget.max_seconds);
  };

  for (;;) {
    while (int64_t(running.size()) < pool.capacity() && may_start()) {
      Genotype g;
      if (!redo.empty()) {
        g = redo.front();
        redo.pop_front();
      } else {
        g = strategy.propose();
        unobserved.push_back(g);
        unsaved = true;
      }
      if (callbacks.on_trial_start) callbacks.on_trial_start(int64_t(trials.size()) + in_flight(), g);
      const uint64_t h = nas::hash(g);
      if (auto it = first_of.find(h); it != first_of.end()) {
        record(g, trials[it->second].eval, true);
        continue;
      }
      const bool training = std::any_of(running.begin(), running.end(),
                                        [&](const auto& r) { return nas::hash(r.second) == h; });
      if (training) {
        waiting[h].push_back(g);
        ++num_waiting;
        continue;
      }
      if (unsaved) save();
      running.emplace(next_id, g);
      pool.start(next_id++, g);
    }
    if (running.empty()) break;
    auto [id, eval] = pool.wait();
    auto it = running.find(id);
    NF_CHECK(it != running.end(), "search: the trial pool returned trial id ", id, ", which is not running");
    const Genotype g = it->second;
    running.erase(it);
    record(g, eval, false);
    if (auto w = waiting.find(nas::hash(g)); w != waiting.end()) {
      const std::vector<Genotype> copies = std::move(w->second);
      waiting.erase(w);
      num_waiting -= int64_t(copies.size());
      for (const Genotype& c : copies) record(c, eval, true);
    }
  }
}

}  // namespace nf::dist
