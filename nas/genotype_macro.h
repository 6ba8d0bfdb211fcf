// Macro (whole-network) chain genotype in the style of Zoph & Le 2017 ("Neural
// Architecture Search with Reinforcement Learning", CNN space): a chain of L
// conv layers, each choosing its filter height and width in {1,3,5,7}, its
// filter count in {24,36,48,64} and its stride in {1,2} (a space may fix the
// stride to 1). Layer i always reads layer i-1 (layer 0 reads the stem); skip
// bit j (j <= i-2) additionally concatenates layer j's output into layer i's
// input along channels. The adjacent layer has no bit, so no two genotypes
// describe the same network.
//
// JSON: {"space": "macro", "layers": [{"filter_height": 3, "filter_width": 5,
//        "filters": 36, "stride": 1, "skips": [0, 2]}, ...]}  (skips: source layer indices)
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

namespace nf::nas {

inline constexpr std::array<int, 4> kMacroFilterSizes = {1, 3, 5, 7};
inline constexpr std::array<int, 4> kMacroFilterCounts = {24, 36, 48, 64};
inline constexpr std::array<int, 2> kMacroStrides = {1, 2};
inline constexpr int kMacroMaxLayers = 64;  // skip masks are 64-bit

struct MacroLayer {
  int filter_height = 3;
  int filter_width = 3;
  int filters = 24;
  int stride = 1;
  uint64_t skips = 0;  // bit j: layer j's output joins this layer's input (j <= index-2)
  bool operator==(const MacroLayer&) const = default;
};

struct MacroGenotype {
  std::vector<MacroLayer> layers;
  bool operator==(const MacroGenotype&) const = default;
};

// Throws nf::Error naming the layer and problem: "macro genotype: layers[2]: filters 30 is not
// one of 24, 36, 48, 64". Needs 1..kMacroMaxLayers layers.
void validate(const MacroGenotype& g);

// nlohmann hooks; from_json validates strictly ("macro genotype JSON: <field>: <problem>").
void to_json(nlohmann::json& j, const MacroGenotype& g);
void from_json(const nlohmann::json& j, MacroGenotype& g);

// FNV-1a of "macro:" + to_string(g) (nas/notation.h).
uint64_t hash(const MacroGenotype& g);

}  // namespace nf::nas
