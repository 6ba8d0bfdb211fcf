// The DARTS cell space (Liu et al. 2019) as categorical decisions: for the normal
// then the reduction cell, for each of its 8 edges in DARTS' list order, the op
// then the input state:
//   normal.node0.edge0.op (8 ops, or 7 without 'none'), normal.node0.edge0.input (0..1), ...
// 32 decisions; with every op, (16*24*32*40)^4 ~ 5.8e22 genotypes (as data: the
// two edges of a node are ordered and may read the same state, as in
// NASNet/AmoebaNet cells, so some genotypes describe the same network).
// Config: {"space": "darts", "include_none": true}.
#pragma once
#include "nas/space.h"

namespace nf::nas {

struct DartsSpaceOptions {
  // Whether 'none' (the zero op) may be chosen. DARTS' derivation never picks it,
  // and random-search or evolution baselines usually leave it out.
  bool include_none = true;
};

class DartsSpace final : public SearchSpace {
 public:
  using Options = DartsSpaceOptions;
  explicit DartsSpace(Options options = {});

  std::string_view name() const override { return "darts"; }
  nlohmann::json config() const override;
  Genotype decode(std::span<const int> tokens) const override;
  Tokens encode(const Genotype& g) const override;
  // The network of nas/network_darts.h.
  std::shared_ptr<nn::Module> build(const Genotype& g, const NetworkConfig& cfg) const override;
  const Options& options() const { return options_; }

 private:
  Options options_;
};

}  // namespace nf::nas
