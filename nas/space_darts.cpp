#include "nas/space_darts.h"

#include <nlohmann/json.hpp>

#include "nas/network_darts.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

// Token t of an op decision is op (t + first_op): 'none' is op 0.
int first_op(const DartsSpaceOptions& o) { return o.include_none ? 0 : 1; }

std::vector<Decision> darts_decisions(const DartsSpaceOptions& o) {
  std::vector<std::string> ops;
  for (int op = first_op(o); op < kDartsNumOps; ++op) ops.emplace_back(darts_op_name(static_cast<DartsOp>(op)));
  std::vector<Decision> out;
  for (std::string_view cell : {"normal", "reduce"}) {
    for (int e = 0; e < DartsCell::kEdges; ++e) {
      int node = e / DartsCell::kEdgesPerNode;
      std::string prefix =
          std::string(cell) + ".node" + std::to_string(node) + ".edge" + std::to_string(e % DartsCell::kEdgesPerNode);
      std::vector<std::string> inputs;
      for (int s = 0; s <= node + 1; ++s) inputs.push_back(std::to_string(s));
      out.push_back({prefix + ".op", ops});
      out.push_back({prefix + ".input", std::move(inputs)});
    }
  }
  return out;
}

}  // namespace

DartsSpace::DartsSpace(Options options) : SearchSpace(darts_decisions(options)), options_(options) {}

nlohmann::json DartsSpace::config() const { return {{"space", "darts"}, {"include_none", options_.include_none}}; }

Genotype DartsSpace::decode(std::span<const int> tokens) const {
  check_tokens(tokens);
  DartsGenotype g;
  size_t t = 0;
  for (DartsCell* cell : {&g.normal, &g.reduce}) {
    for (DartsEdge& edge : cell->edges) {
      edge.op = static_cast<DartsOp>(tokens[t++] + first_op(options_));
      edge.input = tokens[t++];
    }
  }
  return g;
}

Tokens DartsSpace::encode(const Genotype& genotype) const {
  check_space(genotype);
  const DartsGenotype& g = std::get<DartsGenotype>(genotype);
  validate(g);
  Tokens tokens;
  for (auto [cell, name] : {std::pair{&g.normal, "normal"}, std::pair{&g.reduce, "reduce"}}) {
    for (int e = 0; e < DartsCell::kEdges; ++e) {
      const DartsEdge& edge = cell->edges[e];
      NF_CHECK(options_.include_none || edge.op != DartsOp::none, "darts space: encode: ", name, "[", e,
               "] uses op 'none', which this space excludes (include_none=false)");
      tokens.push_back(static_cast<int>(edge.op) - first_op(options_));
      tokens.push_back(edge.input);
    }
  }
  return tokens;
}

std::shared_ptr<nn::Module> DartsSpace::build(const Genotype& genotype, const NetworkConfig& cfg) const {
  check_space(genotype, "build");
  const DartsGenotype& g = std::get<DartsGenotype>(genotype);
  if (!options_.include_none)
    for (auto [cell, name] : {std::pair{&g.normal, "normal"}, std::pair{&g.reduce, "reduce"}})
      for (int e = 0; e < DartsCell::kEdges; ++e)
        NF_CHECK(cell->edges[e].op != DartsOp::none, "darts space: build: ", name, "[", e,
                 "] uses op 'none', which this space excludes (include_none=false)");
  return std::make_shared<DartsNetworkImpl>(g, cfg);
}

}  // namespace nf::nas
