#include "nas/genotype_macro.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "nas/genotype_hash.h"
#include "nas/genotype_json.h"
#include "nas/notation.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

constexpr std::string_view kJson = "macro genotype JSON";

bool one_of(int64_t v, std::span<const int> allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

std::string list(std::span<const int> allowed) {
  std::string s;
  for (int v : allowed) s += (s.empty() ? "" : ", ") + std::to_string(v);
  return s;
}

// Layer i may skip from layers 0..i-2.
uint64_t allowed_skips(int i) { return i < 2 ? 0 : (uint64_t(1) << (i - 1)) - 1; }

std::string skip_range(int i) {
  return i < 2 ? "layer " + std::to_string(i) + " has no skip sources" : "expected 0.." + std::to_string(i - 2);
}

// The one check of each field, shared by validate() and from_json(): "" when fine.
std::string choice_problem(std::string_view field, int64_t v, std::span<const int> allowed) {
  if (one_of(v, allowed)) return "";
  return std::string(field) + " " + std::to_string(v) + " is not one of " + list(allowed);
}

std::string layer_count_problem(int64_t n) {
  if (n >= 1 && n <= kMacroMaxLayers) return "";
  return "expected 1.." + std::to_string(kMacroMaxLayers) + " layers, got " + std::to_string(n);
}

struct Field {
  std::string_view name;
  int MacroLayer::*member;
  std::span<const int> allowed;
};
constexpr std::array<Field, 4> kFields = {{{"filter_height", &MacroLayer::filter_height, kMacroFilterSizes},
                                           {"filter_width", &MacroLayer::filter_width, kMacroFilterSizes},
                                           {"filters", &MacroLayer::filters, kMacroFilterCounts},
                                           {"stride", &MacroLayer::stride, kMacroStrides}}};

MacroLayer layer_from_json(const nlohmann::json& j, int i) {
  using namespace detail;
  std::string path = index_path("layers", i);
  check_object(j, kJson, path, {"filter_height", "filter_width", "filters", "stride", "skips"});
  MacroLayer layer;
  for (const Field& f : kFields) {
    std::string fpath = field_path(path, f.name);
    int64_t v = get_int(j.at(f.name), kJson, fpath);
    std::string problem = choice_problem(f.name, v, f.allowed);
    if (!problem.empty()) json_fail(kJson, fpath, problem);
    layer.*f.member = static_cast<int>(v);
  }
  std::string spath = field_path(path, "skips");
  const nlohmann::json& skips = j.at("skips");
  check_array(skips, kJson, spath);
  for (size_t k = 0; k < skips.size(); ++k) {
    std::string kpath = index_path(spath, static_cast<int64_t>(k));
    int64_t src = get_int(skips[k], kJson, kpath);
    if (src < 0 || src > i - 2)
      json_fail(kJson, kpath, "skip source " + std::to_string(src) + " out of range (" + skip_range(i) + ")");
    uint64_t bit = uint64_t(1) << src;
    if (layer.skips & bit) json_fail(kJson, kpath, "duplicate skip source " + std::to_string(src));
    layer.skips |= bit;
  }
  return layer;
}

}  // namespace

void validate(const MacroGenotype& g) {
  std::string problem = layer_count_problem(static_cast<int64_t>(g.layers.size()));
  NF_CHECK(problem.empty(), "macro genotype: ", problem);
  for (int i = 0; i < static_cast<int>(g.layers.size()); ++i) {
    const MacroLayer& layer = g.layers[i];
    for (const Field& f : kFields) {
      problem = choice_problem(f.name, layer.*f.member, f.allowed);
      NF_CHECK(problem.empty(), "macro genotype: layers[", i, "]: ", problem);
    }
    NF_CHECK((layer.skips & ~allowed_skips(i)) == 0, "macro genotype: layers[", i, "]: skip mask 0x", std::hex,
             layer.skips, std::dec, " names a layer that is not an earlier non-adjacent one (", skip_range(i), ")");
  }
}

void to_json(nlohmann::json& j, const MacroGenotype& g) {
  validate(g);
  nlohmann::json layers = nlohmann::json::array();
  for (const MacroLayer& layer : g.layers) {
    nlohmann::json skips = nlohmann::json::array();
    for (int src = 0; src < kMacroMaxLayers; ++src)
      if (layer.skips >> src & 1) skips.push_back(src);
    layers.push_back({{"filter_height", layer.filter_height},
                      {"filter_width", layer.filter_width},
                      {"filters", layer.filters},
                      {"stride", layer.stride},
                      {"skips", std::move(skips)}});
  }
  j = {{"space", "macro"}, {"layers", std::move(layers)}};
}

void from_json(const nlohmann::json& j, MacroGenotype& g) {
  using namespace detail;
  check_object(j, kJson, "", {"space", "layers"});
  check_space_tag(j, kJson, "macro");
  const nlohmann::json& layers = j.at("layers");
  check_array(layers, kJson, "layers");
  std::string problem = layer_count_problem(static_cast<int64_t>(layers.size()));
  if (!problem.empty()) json_fail(kJson, "layers", problem);
  g.layers.clear();
  for (int i = 0; i < static_cast<int>(layers.size()); ++i) g.layers.push_back(layer_from_json(layers[i], i));
}

uint64_t hash(const MacroGenotype& g) { return fnv1a64("macro:" + to_string(g)); }

}  // namespace nf::nas
