// NAS-Bench-201 cell genotype (Dong & Yang 2020, "NAS-Bench-201: Extending the
// Scope of Reproducible Neural Architecture Search"). A cell is a DAG of 4
// nodes; every edge j -> i (j < i) carries one of 5 ops, and node i sums its
// incoming edges. The 6 edges, in notation order:
//   1<-0 | 2<-0 2<-1 | 3<-0 3<-1 3<-2
// so there are 5^6 = 15625 cells. index() numbers them in mixed radix 5 with
// edge 0 the most significant digit (lexicographic in notation order); this
// is our own numbering, not the row order of the NAS-Bench-201 benchmark file.
//
// JSON: {"space": "nb201", "ops": ["nor_conv_3x3", ...6 names in edge order]}.
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string_view>

namespace nf::nas {

// NAS-Bench-201's op order, which is also the token order.
enum class Nb201Op : uint8_t { none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3 };
inline constexpr int kNb201NumOps = 5;

std::string_view nb201_op_name(Nb201Op op);
std::optional<Nb201Op> nb201_op_from_name(std::string_view name);
std::string_view nb201_op_names();  // for error messages

struct Nb201Genotype {
  static constexpr int kNodes = 4;
  static constexpr int kEdges = 6;
  static constexpr int64_t kCount = 15625;  // 5^6
  // Edge e goes from node kEdgeFrom[e] to node kEdgeTo[e].
  static constexpr std::array<int, kEdges> kEdgeFrom = {0, 0, 1, 0, 1, 2};
  static constexpr std::array<int, kEdges> kEdgeTo = {1, 2, 2, 3, 3, 3};

  std::array<Nb201Op, kEdges> ops{};
  bool operator==(const Nb201Genotype&) const = default;

  // The bijection 0..kCount-1 <-> genotypes described above.
  int64_t index() const;
  static Nb201Genotype from_index(int64_t index);
};

void validate(const Nb201Genotype& g);  // throws nf::Error on an op value outside the enum

// nlohmann hooks; from_json validates strictly ("nb201 genotype JSON: <field>: <problem>").
void to_json(nlohmann::json& j, const Nb201Genotype& g);
void from_json(const nlohmann::json& j, Nb201Genotype& g);

// FNV-1a of "nb201:" + to_string(g) (nas/notation.h).
uint64_t hash(const Nb201Genotype& g);

}  // namespace nf::nas
