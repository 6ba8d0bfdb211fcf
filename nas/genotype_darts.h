// DARTS cell genotype (Liu, Simonyan & Yang 2019, "DARTS: Differentiable
// Architecture Search"). A network stacks normal cells and reduction cells
// (stride 2). A cell has two input states, 0 and 1 (the outputs of the two
// previous cells), and 4 intermediate nodes, states 2..5. Node i (0-based)
// sums two operations, each applied to an earlier state in {0, .., i+1}; the
// cell's output concatenates states [2, 3, 4, 5] along channels. That concat
// is fixed here (every published DARTS genotype uses it), so it is not stored.
//
// Plain data: any value built by hand can be checked with validate(g).
// JSON: {"space": "darts", "normal": [["sep_conv_3x3", 0], ...8 pairs], "reduce": [...]}.
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string_view>

namespace nf::nas {

// In the DARTS repository's PRIMITIVES order, which is also the token order.
enum class DartsOp : uint8_t {
  none,
  max_pool_3x3,
  avg_pool_3x3,
  skip_connect,
  sep_conv_3x3,
  sep_conv_5x5,
  dil_conv_3x3,
  dil_conv_5x5,
};
inline constexpr int kDartsNumOps = 8;

std::string_view darts_op_name(DartsOp op);
std::optional<DartsOp> darts_op_from_name(std::string_view name);
// "none, max_pool_3x3, ..., dil_conv_5x5", for error messages.
std::string_view darts_op_names();

struct DartsEdge {
  DartsOp op = DartsOp::none;
  int input = 0;  // the state the op reads: 0..node+1
  bool operator==(const DartsEdge&) const = default;
};

struct DartsCell {
  static constexpr int kNodes = 4;
  static constexpr int kEdgesPerNode = 2;
  static constexpr int kEdges = kNodes * kEdgesPerNode;
  // edges[2i] and edges[2i+1] feed node i (state i+2), the order of DARTS' flat list.
  std::array<DartsEdge, kEdges> edges{};
  bool operator==(const DartsCell&) const = default;
};

struct DartsGenotype {
  DartsCell normal;
  DartsCell reduce;
  bool operator==(const DartsGenotype&) const = default;
};

// Throws nf::Error naming the cell, edge and problem: "darts genotype: reduce[5]: input 4
// out of range for node 2 (expected 0..3)".
void validate(const DartsGenotype& g);

// nlohmann hooks: `json j = g;` and `j.get<DartsGenotype>()`. from_json validates
// strictly and throws nf::Error ("darts genotype JSON: <field>: <problem>").
void to_json(nlohmann::json& j, const DartsGenotype& g);
void from_json(const nlohmann::json& j, DartsGenotype& g);

// FNV-1a of "darts:" + to_string(g) (nas/notation.h); see nas/genotype_hash.h.
uint64_t hash(const DartsGenotype& g);

}  // namespace nf::nas
