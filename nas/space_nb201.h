// The NAS-Bench-201 cell space (Dong & Yang 2020) as categorical decisions: one
// op per edge, in notation order (node1.from0, node2.from0, node2.from1,
// node3.from0, node3.from1, node3.from2), 5 options each: exactly 15625
// genotypes. The tokens are the base-5 digits of Nb201Genotype::index().
// Config: {"space": "nb201"}.
#pragma once
#include "nas/space.h"

namespace nf::nas {

class Nb201Space final : public SearchSpace {
 public:
  Nb201Space();

  std::string_view name() const override { return "nb201"; }
  Genotype decode(std::span<const int> tokens) const override;
  Tokens encode(const Genotype& g) const override;
  // The network of nas/network_nb201.h.
  std::shared_ptr<nn::Module> build(const Genotype& g, const NetworkConfig& cfg) const override;
};

}  // namespace nf::nas
