// Regularized (aging) evolution (Real, Aggarwal, Huang & Le 2019, "Regularized
// Evolution for Image Classifier Architecture Search", the AmoebaNet search).
//
// The population holds the last P observed trials in arrival order. The first P
// proposals are uniform samples (also later ones while nothing has been observed
// yet). Every other proposal is a tournament on the *current* population: draw S
// members uniformly with replacement, mutate the fittest (space.mutate: one
// decision changed; ties go to the first drawn). Each observed result is appended
// as a member; once the population exceeds P its oldest member is removed (aging,
// not the worst: the "regularization"). Results may arrive in any order and
// proposals never wait for them.
//
// A failed trial (is_failure) joins the population as the worst member: it ages out
// like any other and only wins a tournament made entirely of failures.
//
// Options: {"population_size": P, "sample_size": S, "budget": B}. Defaults scale with
// the budget so that several generations fit in it: P = min(100, max(10, B/4)) and
// S = max(2, P/4) (no budget: P = 100, S = 25, the paper's CIFAR-10 setting).
// Constraints: P >= 2, 1 <= S <= P.
#pragma once
#include <deque>

#include "nas/strategy.h"

namespace nf::nas {

struct RegularizedEvolutionOptions {
  int64_t population_size = 100;
  int64_t sample_size = 25;

  static RegularizedEvolutionOptions from_json(const nlohmann::json& options);
  nlohmann::json to_json() const;  // the two sizes (budget only chose the defaults)
};

class RegularizedEvolution final : public Strategy {
 public:
  using Options = RegularizedEvolutionOptions;
  struct Member {
    Genotype genotype;
    TrialResult result;
    // Failed members compare below every successful one.
    bool worse_than(const Member& o) const;
  };

  RegularizedEvolution(const SearchSpace& space, Options options = {}, uint64_t seed = 0);

  std::string_view name() const override { return "evolution"; }
  Genotype propose() override;
  void observe(const Genotype& g, const TrialResult& result) override;
  nlohmann::json options() const override { return options_.to_json(); }

  // Oldest first; size <= population_size.
  const std::deque<Member>& population() const { return population_; }

 protected:
  // {"population": [{"genotype", "objective", "failed", "reason"}, ...oldest first]}
  nlohmann::json save_state() const override;
  void load_state(const nlohmann::json& state) override;

 private:
  Options options_;
  std::deque<Member> population_;
};

}  // namespace nf::nas
