// Multi-trial search strategies, ask/tell:
//
//   auto space = make_space({{"space", "nb201"}});
//   auto strategy = make_strategy("evolution", *space, {{"budget", 200}}, /*seed=*/1);
//   for (int t = 0; t < 200; ++t) {
//     Genotype g = strategy->propose();
//     strategy->observe(g, evaluate(g));   // TrialResult
//   }
//
// propose() may be called several times before the results come back (parallel
// evaluation); results may arrive in any order, and each proposed genotype is
// expected to be observed once. Failed trials are observed too: every strategy
// turns them into its own notion of "worst" (see each header), so a crashing or
// diverging candidate never stops a search.
//
// save() captures the whole state (options, RNG seed + offset, population or
// controller weights and optimizer state, ...) as JSON; load() on a strategy made
// by make_strategy with the same name, space and options restores it, after
// which the strategy proposes exactly what the saved one would have proposed.
// Genotypes proposed but not yet observed when saving are not part of the state:
// the caller re-evaluates or re-observes them.
//
// A strategy keeps a reference to its space: the space must outlive it.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "nas/genotype.h"
#include "nas/space.h"
#include "tensor/random.h"

namespace nf::nas {

struct TrialResult {
  double objective = 0;  // validation accuracy: higher is better; ignored when failed
  bool failed = false;   // a non-finite objective counts as failed too
  std::string reason;    // why it failed (for logs)
};

// Failed, or an objective that is NaN or infinite.
bool is_failure(const TrialResult& r);

class Strategy {
 public:
  virtual ~Strategy() = default;
  Strategy(const Strategy&) = delete;
  Strategy& operator=(const Strategy&) = delete;

  // "random", "evolution" or "reinforce": the name make_strategy takes.
  virtual std::string_view name() const = 0;
  virtual Genotype propose() = 0;
  // Throws nf::Error when g is not a genotype of the strategy's space.
  virtual void observe(const Genotype& g, const TrialResult& result) = 0;

  // {"strategy", "format", "space", "options", "rng": {"seed", "offset"},
  //  "proposed", "observed", "state": {...strategy specific}}.
  nlohmann::json save() const;
  // Throws nf::Error ("<name> strategy state: <field>: <problem>") when the state is
  // malformed or was saved by another strategy, space or set of options; the
  // strategy is unchanged then.
  void load(const nlohmann::json& state);

  // The options in effect, defaults filled in (what save() records).
  virtual nlohmann::json options() const = 0;
  const SearchSpace& space() const { return space_; }
  int64_t num_proposed() const { return num_proposed_; }
  int64_t num_observed() const { return num_observed_; }

 protected:
  Strategy(const SearchSpace& space, uint64_t seed) : space_(space), gen_(seed) {}

  virtual nlohmann::json save_state() const = 0;
  // Validates all of `state` before changing anything.
  virtual void load_state(const nlohmann::json& state) = 0;
  // "<name> strategy state": the document name for load errors.
  std::string state_what() const;

  const SearchSpace& space_;
  Generator gen_;
  int64_t num_proposed_ = 0;  // each propose() adds one
  int64_t num_observed_ = 0;  // each observe() adds one
};

// name: "random", "evolution" or "reinforce". options: a JSON object of that
// strategy's options (see its header), every one optional; any strategy also
// accepts "budget" (the planned number of trials, a positive integer), from
// which some scale their defaults. Throws nf::Error naming the strategy and the
// option on an unknown name, an unknown option or a bad value.
std::unique_ptr<Strategy> make_strategy(std::string_view name, const SearchSpace& space,
                                        const nlohmann::json& options = nlohmann::json::object(), uint64_t seed = 0);

}  // namespace nf::nas
