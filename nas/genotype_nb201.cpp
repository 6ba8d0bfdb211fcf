#include "nas/genotype_nb201.h"

#include <nlohmann/json.hpp>
#include <string>

#include "nas/genotype_hash.h"
#include "nas/genotype_json.h"
#include "nas/notation.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {
constexpr std::array<std::string_view, kNb201NumOps> kOpNames = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                                                 "avg_pool_3x3"};
constexpr std::string_view kJson = "nb201 genotype JSON";
}  // namespace

std::string_view nb201_op_name(Nb201Op op) {
  NF_CHECK(static_cast<int>(op) < kNb201NumOps, "nb201_op_name: invalid op ", static_cast<int>(op));
  return kOpNames[static_cast<int>(op)];
}

std::optional<Nb201Op> nb201_op_from_name(std::string_view name) {
  for (int i = 0; i < kNb201NumOps; ++i)
    if (kOpNames[i] == name) return static_cast<Nb201Op>(i);
  return std::nullopt;
}

std::string_view nb201_op_names() { return "none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3"; }

int64_t Nb201Genotype::index() const {
  validate(*this);
  int64_t index = 0;
  for (Nb201Op op : ops) index = index * kNb201NumOps + static_cast<int64_t>(op);
  return index;
}

Nb201Genotype Nb201Genotype::from_index(int64_t index) {
  NF_CHECK(index >= 0 && index < kCount, "nb201 genotype: index ", index, " out of range (expected 0..", kCount - 1,
           ")");
  Nb201Genotype g;
  for (int e = kEdges - 1; e >= 0; --e) {
    g.ops[e] = static_cast<Nb201Op>(index % kNb201NumOps);
    index /= kNb201NumOps;
  }
  return g;
}

void validate(const Nb201Genotype& g) {
  for (int e = 0; e < Nb201Genotype::kEdges; ++e)
    NF_CHECK(static_cast<int>(g.ops[e]) < kNb201NumOps, "nb201 genotype: ops[", e, "]: op ", static_cast<int>(g.ops[e]),
             " is not a NAS-Bench-201 op (expected one of ", nb201_op_names(), ")");
}

void to_json(nlohmann::json& j, const Nb201Genotype& g) {
  validate(g);
  nlohmann::json ops = nlohmann::json::array();
  for (Nb201Op op : g.ops) ops.push_back(nb201_op_name(op));
  j = {{"space", "nb201"}, {"ops", std::move(ops)}};
}

void from_json(const nlohmann::json& j, Nb201Genotype& g) {
  using namespace detail;
  check_object(j, kJson, "", {"space", "ops"});
  check_space_tag(j, kJson, "nb201");
  const nlohmann::json& ops = j.at("ops");
  check_array(ops, kJson, "ops", Nb201Genotype::kEdges, "edge ops");
  for (int e = 0; e < Nb201Genotype::kEdges; ++e) {
    const std::string& name = get_string(ops[e], kJson, index_path("ops", e));
    std::optional<Nb201Op> op = nb201_op_from_name(name);
    if (!op)
      json_fail(kJson, index_path("ops", e),
                "unknown op '" + name + "' (expected one of " + std::string(nb201_op_names()) + ")");
    g.ops[e] = *op;
  }
}

uint64_t hash(const Nb201Genotype& g) { return fnv1a64("nb201:" + to_string(g)); }

}  // namespace nf::nas
