#include "nas/space_nb201.h"

#include "nas/network_nb201.h"

namespace nf::nas {

namespace {
std::vector<Decision> nb201_decisions() {
  std::vector<std::string> ops;
  for (int op = 0; op < kNb201NumOps; ++op) ops.emplace_back(nb201_op_name(static_cast<Nb201Op>(op)));
  std::vector<Decision> out;
  for (int e = 0; e < Nb201Genotype::kEdges; ++e)
    out.push_back(
        {"node" + std::to_string(Nb201Genotype::kEdgeTo[e]) + ".from" + std::to_string(Nb201Genotype::kEdgeFrom[e]),
         ops});
  return out;
}
}  // namespace

Nb201Space::Nb201Space() : SearchSpace(nb201_decisions()) {}

Genotype Nb201Space::decode(std::span<const int> tokens) const {
  check_tokens(tokens);
  Nb201Genotype g;
  for (int e = 0; e < Nb201Genotype::kEdges; ++e) g.ops[e] = static_cast<Nb201Op>(tokens[e]);
  return g;
}

Tokens Nb201Space::encode(const Genotype& genotype) const {
  check_space(genotype);
  const Nb201Genotype& g = std::get<Nb201Genotype>(genotype);
  validate(g);
  Tokens tokens;
  for (Nb201Op op : g.ops) tokens.push_back(static_cast<int>(op));
  return tokens;
}

std::shared_ptr<nn::Module> Nb201Space::build(const Genotype& genotype, const NetworkConfig& cfg) const {
  check_space(genotype, "build");
  return std::make_shared<Nb201NetworkImpl>(std::get<Nb201Genotype>(genotype), cfg);
}

}  // namespace nf::nas
