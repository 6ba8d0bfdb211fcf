// Random search: uniform samples from the space (Bergstra & Bengio 2012; the
// baseline every NAS method must beat, Li & Talwalkar 2019).
//
// A proposal is never a genotype already proposed in the current pass (by stable
// hash): up to max_retries fresh samples replace a repeat; if all are repeats and
// the space has at most 2^20 genotypes, one is drawn uniformly among those not yet
// proposed (by enumeration), so small spaces never repeat either. Once every
// genotype of the space has been proposed, a new pass starts. In a space too large
// to enumerate a repeat survives only if max_retries + 1 draws all collide.
// Results do not influence proposals; observe() only counts them.
//
// Options: {"max_retries": 100} (an integer >= 0).
#pragma once
#include <unordered_set>

#include "nas/strategy.h"

namespace nf::nas {

struct RandomSearchOptions {
  int64_t max_retries = 100;

  static RandomSearchOptions from_json(const nlohmann::json& options);  // + "budget"
  nlohmann::json to_json() const;
};

class RandomSearch final : public Strategy {
 public:
  using Options = RandomSearchOptions;
  RandomSearch(const SearchSpace& space, Options options = {}, uint64_t seed = 0);

  std::string_view name() const override { return "random"; }
  Genotype propose() override;
  void observe(const Genotype& g, const TrialResult& result) override;
  nlohmann::json options() const override { return options_.to_json(); }

 protected:
  nlohmann::json save_state() const override;  // {"proposed": [hashes of this pass, sorted]}
  void load_state(const nlohmann::json& state) override;

 private:
  // Uniform among the genotypes whose hash is not in proposed_ (some must exist).
  Genotype draw_unproposed(uint64_t space_size);

  Options options_;
  std::unordered_set<uint64_t> proposed_;  // hashes proposed in the current pass
};

}  // namespace nf::nas
