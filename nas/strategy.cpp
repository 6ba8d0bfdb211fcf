#include "nas/strategy.h"

#include <cmath>

#include "nas/genotype_json.h"
#include "nas/strategy_evolution.h"
#include "nas/strategy_random.h"
#include "nas/strategy_reinforce.h"
#include "nas/strategy_util.h"
#include "tensor/error.h"

namespace nf::nas {

using nlohmann::json;

namespace {
// Bumped when the layout of saved states changes incompatibly.
constexpr int64_t kStateFormat = 1;
}  // namespace

bool is_failure(const TrialResult& r) { return r.failed || !std::isfinite(r.objective); }

std::string Strategy::state_what() const { return std::string(name()) + " strategy state"; }

json Strategy::save() const {
  return {{"strategy", std::string(name())},
          {"format", kStateFormat},
          {"space", space_.config()},
          {"options", options()},
          {"rng", detail::generator_to_json(gen_)},
          {"proposed", num_proposed_},
          {"observed", num_observed_},
          {"state", save_state()}};
}

void Strategy::load(const json& j) {
  const std::string what = state_what();
  detail::check_object(j, what, "", {"strategy", "format", "space", "options", "rng", "proposed", "observed", "state"});
  const std::string& strategy = detail::get_string(j.at("strategy"), what, "strategy");
  if (strategy != name()) detail::json_fail(what, "strategy", "saved by the \"" + strategy + "\" strategy");
  int64_t format = detail::get_int(j.at("format"), what, "format");
  if (format != kStateFormat)
    detail::json_fail(what, "format",
                      "unsupported format " + std::to_string(format) + " (expected " + std::to_string(kStateFormat) + ")");
  if (j.at("space") != space_.config())
    detail::json_fail(what, "space", "saved for space " + j.at("space").dump() + ", this strategy searches " +
                                         space_.config().dump());
  const json current = options();
  if (j.at("options") != current)
    detail::json_fail(what, "options", "saved with options " + j.at("options").dump() + ", this strategy has " +
                                           current.dump());
  Generator gen = detail::generator_from_json(j.at("rng"), what, "rng");
  int64_t proposed = detail::get_int(j.at("proposed"), what, "proposed");
  int64_t observed = detail::get_int(j.at("observed"), what, "observed");
  if (proposed < 0) detail::json_fail(what, "proposed", "expected a count >= 0, got " + std::to_string(proposed));
  if (observed < 0) detail::json_fail(what, "observed", "expected a count >= 0, got " + std::to_string(observed));
  load_state(j.at("state"));  // validates before changing anything; the rest cannot fail
  gen_ = gen;
  num_proposed_ = proposed;
  num_observed_ = observed;
}

std::unique_ptr<Strategy> make_strategy(std::string_view name, const SearchSpace& space, const json& options,
                                        uint64_t seed) {
  if (name == "random") return std::make_unique<RandomSearch>(space, RandomSearch::Options::from_json(options), seed);
  if (name == "evolution")
    return std::make_unique<RegularizedEvolution>(space, RegularizedEvolution::Options::from_json(options), seed);
  if (name == "reinforce") return std::make_unique<Reinforce>(space, Reinforce::Options::from_json(options), seed);
  NF_FAIL("make_strategy: unknown strategy \"", name, "\" (expected random, evolution or reinforce)");
}

}  // namespace nf::nas
