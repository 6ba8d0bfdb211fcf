#include "nas/search.h"

#include <string>
#include <unordered_map>

#include "nas/notation.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

TrialResult to_trial_result(const Evaluation& e) { return {e.val_accuracy, e.failed, e.reason}; }

// strategy.json: {"trials": n, "strategy": <Strategy::save()>}, n = trials observed.
nlohmann::json checkpoint(const Strategy& s, int64_t trials) { return {{"trials", trials}, {"strategy", s.save()}}; }

// Restores the strategy and replays the trials it had not observed when saved.
void restore(Experiment& experiment, Strategy& strategy) {
  int64_t observed = 0;
  if (auto state = experiment.strategy_state()) {
    const auto& s = *state;
    NF_CHECK(s.contains("trials") && s["trials"].is_number_integer() && s.contains("strategy"),
             "search: ", (experiment.dir() / "strategy.json").string(), " lacks 'trials' or 'strategy'");
    observed = s["trials"].get<int64_t>();
    NF_CHECK(observed >= 0 && observed <= int64_t(experiment.trials().size()), "search: strategy.json has seen ",
             observed, " trials but trials.jsonl holds ", experiment.trials().size());
    strategy.load(s["strategy"]);
  }
  const auto& trials = experiment.trials();
  for (size_t t = size_t(observed); t < trials.size(); ++t) {
    const Genotype g = strategy.propose();
    NF_CHECK(g == trials[t].genotype, "search: resuming ", experiment.dir().string(), ": the strategy proposes ",
             to_string(g), " for trial ", t, " but trials.jsonl records ", to_string(trials[t].genotype),
             " (the experiment's files do not belong together)");
    strategy.observe(g, to_trial_result(trials[t].eval));
  }
  if (size_t(observed) < trials.size()) experiment.save_strategy_state(checkpoint(strategy, int64_t(trials.size())));
}

}  // namespace

void run_search(Experiment& experiment, Strategy& strategy, const EvaluateFn& evaluate, SearchBudget budget,
                const SearchCallbacks& callbacks) {
  NF_CHECK(budget.max_trials > 0 || budget.max_seconds > 0, "search: the budget needs a trial count or a time");
  NF_CHECK(strategy.num_proposed() == 0, "search: the strategy must be fresh (it has proposed ",
           strategy.num_proposed(), " genotypes)");
  restore(experiment, strategy);

  // Results by genotype hash, from trials that really trained.
  std::unordered_map<uint64_t, size_t> first_of;
  for (size_t i = 0; i < experiment.trials().size(); ++i)
    if (!experiment.trials()[i].cached) first_of.emplace(hash(experiment.trials()[i].genotype), i);

  auto spent = [&] {
    const int64_t n = int64_t(experiment.trials().size());
    return (budget.max_trials > 0 && n >= budget.max_trials) ||
           (budget.max_seconds > 0 && experiment.seconds_spent() >= budget.max_seconds);
  };
  while (!spent()) {
    const Genotype g = strategy.propose();
    TrialRecord r;
    r.trial = int64_t(experiment.trials().size());
    r.genotype = g;
    if (callbacks.on_trial_start) callbacks.on_trial_start(r.trial, g);
    if (auto it = first_of.find(hash(g)); it != first_of.end()) {
      r.eval = experiment.trials()[it->second].eval;
      r.eval.seconds = 0;
      r.cached = true;
    } else {
      r.eval = evaluate(g);
      first_of.emplace(hash(g), experiment.trials().size());
    }
    experiment.append(r);
    strategy.observe(g, to_trial_result(r.eval));
    experiment.save_strategy_state(checkpoint(strategy, r.trial + 1));
    if (callbacks.on_trial_end) callbacks.on_trial_end(experiment);
  }
}

}  // namespace nf::nas
