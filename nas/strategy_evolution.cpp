#include "nas/strategy_evolution.h"

#include <algorithm>

#include "nas/genotype_json.h"
#include "nas/strategy_util.h"
#include "tensor/error.h"

namespace nf::nas {

using nlohmann::json;

RegularizedEvolutionOptions RegularizedEvolutionOptions::from_json(const json& j) {
  constexpr std::string_view what = "evolution strategy options";
  const int64_t budget = detail::check_options(j, what, {"population_size", "sample_size"});
  RegularizedEvolutionOptions o;
  if (budget > 0) o.population_size = std::min<int64_t>(100, std::max<int64_t>(10, budget / 4));
  o.population_size = detail::option_int(j, what, "population_size", o.population_size,
                                         [](int64_t v) { return v >= 2; }, "an integer >= 2");
  const int64_t p = o.population_size;
  o.sample_size = detail::option_int(j, what, "sample_size", std::max<int64_t>(2, p / 4),
                                     [p](int64_t v) { return v >= 1 && v <= p; },
                                     "an integer in 1..population_size (" + std::to_string(p) + ")");
  return o;
}

json RegularizedEvolutionOptions::to_json() const {
  return {{"population_size", population_size}, {"sample_size", sample_size}};
}

bool RegularizedEvolution::Member::worse_than(const Member& o) const {
  const bool failed = is_failure(result), other_failed = is_failure(o.result);
  if (failed || other_failed) return failed && !other_failed;
  return result.objective < o.result.objective;
}

RegularizedEvolution::RegularizedEvolution(const SearchSpace& space, Options options, uint64_t seed)
    : Strategy(space, seed), options_(options) {
  NF_CHECK(options.population_size >= 2 && options.sample_size >= 1 && options.sample_size <= options.population_size,
           "evolution strategy: need population_size >= 2 and 1 <= sample_size <= population_size, got ",
           options.population_size, " and ", options.sample_size);
}

Genotype RegularizedEvolution::propose() {
  const bool initial = num_proposed_ < options_.population_size || population_.empty();
  ++num_proposed_;
  if (initial) return space_.sample(gen_);
  const int64_t n = static_cast<int64_t>(population_.size());
  const Member* parent = &population_[static_cast<size_t>(gen_.randint(n))];
  for (int64_t s = 1; s < options_.sample_size; ++s) {
    const Member& m = population_[static_cast<size_t>(gen_.randint(n))];
    if (parent->worse_than(m)) parent = &m;
  }
  return space_.mutate(parent->genotype, gen_);
}

void RegularizedEvolution::observe(const Genotype& g, const TrialResult& result) {
  space_.encode(g);  // checks that g belongs to the space
  population_.push_back({g, result});
  if (static_cast<int64_t>(population_.size()) > options_.population_size) population_.pop_front();
  ++num_observed_;
}

json RegularizedEvolution::save_state() const {
  json members = json::array();
  for (const Member& m : population_) {
    const bool failed = is_failure(m.result);
    members.push_back({{"genotype", m.genotype},
                       {"objective", failed ? json(nullptr) : json(m.result.objective)},
                       {"failed", failed},
                       {"reason", m.result.reason}});
  }
  return {{"population", members}};
}

void RegularizedEvolution::load_state(const json& j) {
  const std::string what = state_what();
  detail::check_object(j, what, "state", {"population"});
  const json& list = j.at("population");
  detail::check_array(list, what, "state.population");
  if (static_cast<int64_t>(list.size()) > options_.population_size)
    detail::json_fail(what, "state.population",
                      "holds " + std::to_string(list.size()) + " members, more than population_size " +
                          std::to_string(options_.population_size));
  std::deque<Member> population;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = detail::index_path("state.population", static_cast<int64_t>(i));
    const json& m = list[i];
    detail::check_object(m, what, path, {"genotype", "objective", "failed", "reason"});
    Member member;
    try {
      member.genotype = m.at("genotype").get<Genotype>();
      space_.encode(member.genotype);
    } catch (const Error& e) {
      detail::json_fail(what, detail::field_path(path, "genotype"), e.what());
    }
    member.result.failed = detail::get_bool(m.at("failed"), what, detail::field_path(path, "failed"));
    if (!member.result.failed)
      member.result.objective = detail::get_number(m.at("objective"), what, detail::field_path(path, "objective"));
    member.result.reason = detail::get_string(m.at("reason"), what, detail::field_path(path, "reason"));
    population.push_back(std::move(member));
  }
  population_ = std::move(population);
}

}  // namespace nf::nas
