#include "nas/strategy_random.h"

#include <algorithm>
#include <vector>

#include "nas/genotype_json.h"
#include "nas/strategy_util.h"
#include "tensor/error.h"

namespace nf::nas {

using nlohmann::json;

namespace {
// Spaces up to this many genotypes may be enumerated to avoid a repeat.
constexpr uint64_t kEnumerateLimit = uint64_t(1) << 20;
}  // namespace

RandomSearchOptions RandomSearchOptions::from_json(const json& j) {
  constexpr std::string_view what = "random strategy options";
  detail::check_options(j, what, {"max_retries"});
  RandomSearchOptions o;
  o.max_retries = detail::option_int(j, what, "max_retries", o.max_retries, [](int64_t v) { return v >= 0; },
                                     "an integer >= 0");
  return o;
}

json RandomSearchOptions::to_json() const { return {{"max_retries", max_retries}}; }

RandomSearch::RandomSearch(const SearchSpace& space, Options options, uint64_t seed)
    : Strategy(space, seed), options_(options) {
  NF_CHECK(options.max_retries >= 0, "random strategy: max_retries must be >= 0, got ", options.max_retries);
}

Genotype RandomSearch::propose() {
  const SpaceSize size = space_.size();
  if (size.exact && proposed_.size() >= *size.exact) proposed_.clear();  // all proposed: a new pass
  Genotype g = space_.sample(gen_);
  uint64_t h = hash(g);
  for (int64_t retry = 0; retry < options_.max_retries && proposed_.count(h); ++retry) {
    g = space_.sample(gen_);
    h = hash(g);
  }
  if (proposed_.count(h) && size.exact && *size.exact <= kEnumerateLimit) {
    g = draw_unproposed(*size.exact);
    h = hash(g);
  }
  proposed_.insert(h);
  ++num_proposed_;
  return g;
}

Genotype RandomSearch::draw_unproposed(uint64_t space_size) {
  const std::vector<Decision>& decisions = space_.decisions();
  uint64_t skip = static_cast<uint64_t>(gen_.randint(static_cast<int64_t>(space_size - proposed_.size())));
  Tokens tokens(decisions.size(), 0);
  // Walk the genotypes in mixed-radix token order (last decision fastest).
  for (uint64_t k = 0; k < space_size; ++k) {
    Genotype g = space_.decode(tokens);
    if (!proposed_.count(hash(g)) && skip-- == 0) return g;
    for (size_t i = decisions.size(); i-- > 0;) {
      if (++tokens[i] < decisions[i].num_options()) break;
      tokens[i] = 0;
    }
  }
  NF_FAIL("random strategy: internal error: no unproposed genotype left");
}

void RandomSearch::observe(const Genotype& g, const TrialResult&) {
  space_.encode(g);  // checks that g belongs to the space
  ++num_observed_;
}

json RandomSearch::save_state() const {
  std::vector<uint64_t> hashes(proposed_.begin(), proposed_.end());
  std::sort(hashes.begin(), hashes.end());
  return {{"proposed", hashes}};
}

void RandomSearch::load_state(const json& j) {
  const std::string what = state_what();
  detail::check_object(j, what, "state", {"proposed"});
  const json& list = j.at("proposed");
  detail::check_array(list, what, "state.proposed");
  std::unordered_set<uint64_t> proposed;
  for (size_t i = 0; i < list.size(); ++i)
    proposed.insert(detail::get_uint64(list[i], what, detail::index_path("state.proposed", static_cast<int64_t>(i))));
  proposed_ = std::move(proposed);
}

}  // namespace nf::nas
