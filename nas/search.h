// The multi-trial search loop: propose, evaluate, record, observe, until the
// budget is spent, resumable from its experiment directory.
//
// Durability order of one trial: the result is appended to trials.jsonl first,
// then the strategy (having observed it) is saved to strategy.json. A crash
// between the two leaves one trial more in trials.jsonl than the strategy has
// seen; on resume the restored strategy proposes that same genotype again (its
// state, RNG included, is what it was when it first proposed it) and is told
// the recorded result instead of training again. So no finished trial is lost
// or repeated, and a resumed search proposes what an uninterrupted one would.
#pragma once
#include <cstdint>
#include <functional>

#include "nas/evaluator.h"
#include "nas/experiment.h"
#include "nas/strategy.h"

namespace nf::nas {

struct SearchBudget {
  int64_t max_trials = 0;  // 0: no limit
  double max_seconds = 0;  // of trial wall time (Experiment::seconds_spent), 0: no limit
  // The time budget is checked before each trial starts, so the last trial may
  // end after it; cap trials with TrialProtocol::time_limit.
};

struct SearchCallbacks {
  std::function<void(int64_t trial, const Genotype& g)> on_trial_start;
  std::function<void(const Experiment& e)> on_trial_end;  // e.trials().back() just finished
};

using EvaluateFn = std::function<Evaluation(const Genotype& g)>;

// Runs the search in `experiment` until the budget is spent. `strategy` must
// be freshly made with the experiment's strategy settings: its state is
// restored from the experiment (a new experiment starts it from scratch).
// A genotype evaluated before (same hash) is not trained again: its earlier
// result is recorded as a cached trial. Throws nf::Error when the budget is
// empty or the experiment's files contradict each other.
void run_search(Experiment& experiment, Strategy& strategy, const EvaluateFn& evaluate, SearchBudget budget,
                const SearchCallbacks& callbacks = {});

}  // namespace nf::nas
