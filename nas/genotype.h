// A genotype of any search space: one std::variant over the per-space plain
// structs, so strategies, the evaluator and the experiment log handle every
// space alike. JSON is self-describing through its "space" field:
//   nlohmann::json j = g;            // {"space": "nb201", "ops": [...]}
//   auto g2 = j.get<Genotype>();     // dispatches on "space"; strict, nf::Error on bad input
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <variant>

#include "nas/genotype_darts.h"
#include "nas/genotype_macro.h"
#include "nas/genotype_nb201.h"

namespace nf::nas {

using Genotype = std::variant<DartsGenotype, Nb201Genotype, MacroGenotype>;

// "darts", "nb201" or "macro": the "space" tag of its JSON and hash text.
std::string_view space_name(const Genotype& g);

void validate(const Genotype& g);
void to_json(nlohmann::json& j, const Genotype& g);
void from_json(const nlohmann::json& j, Genotype& g);
// The stable hash of the held genotype (its text starts with the space name, so
// genotypes of different spaces never share a hash input).
uint64_t hash(const Genotype& g);

// For unordered containers keyed by genotype.
struct GenotypeHash {
  size_t operator()(const Genotype& g) const { return static_cast<size_t>(hash(g)); }
};

}  // namespace nf::nas
