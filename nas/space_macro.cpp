#include "nas/space_macro.h"

#include <nlohmann/json.hpp>

#include "nas/network_macro.h"
#include "tensor/error.h"

namespace nf::nas {

namespace {

std::vector<std::string> labels(std::span<const int> values) {
  std::vector<std::string> out;
  for (int v : values) out.push_back(std::to_string(v));
  return out;
}

// Token of `value` among `values` (validate() has already checked membership).
int token_of(int value, std::span<const int> values) {
  for (size_t t = 0; t < values.size(); ++t)
    if (values[t] == value) return static_cast<int>(t);
  NF_FAIL("macro space: value ", value, " is not an option");
}

std::vector<Decision> macro_decisions(const MacroSpaceOptions& o) {
  NF_CHECK(o.num_layers >= 1 && o.num_layers <= kMacroMaxLayers, "macro space: num_layers must be 1..", kMacroMaxLayers,
           ", got ", o.num_layers);
  std::vector<Decision> out;
  for (int i = 0; i < o.num_layers; ++i) {
    std::string layer = "layer" + std::to_string(i);
    out.push_back({layer + ".filter_height", labels(kMacroFilterSizes)});
    out.push_back({layer + ".filter_width", labels(kMacroFilterSizes)});
    out.push_back({layer + ".filters", labels(kMacroFilterCounts)});
    if (o.search_strides) out.push_back({layer + ".stride", labels(kMacroStrides)});
    for (int j = 0; j + 2 <= i; ++j) out.push_back({layer + ".skip" + std::to_string(j), {"off", "on"}});
  }
  return out;
}

}  // namespace

MacroSpace::MacroSpace(Options options) : SearchSpace(macro_decisions(options)), options_(options) {}

nlohmann::json MacroSpace::config() const {
  return {{"space", "macro"}, {"num_layers", options_.num_layers}, {"search_strides", options_.search_strides}};
}

Genotype MacroSpace::decode(std::span<const int> tokens) const {
  check_tokens(tokens);
  MacroGenotype g;
  size_t t = 0;
  for (int i = 0; i < options_.num_layers; ++i) {
    MacroLayer layer;
    layer.filter_height = kMacroFilterSizes[tokens[t++]];
    layer.filter_width = kMacroFilterSizes[tokens[t++]];
    layer.filters = kMacroFilterCounts[tokens[t++]];
    layer.stride = options_.search_strides ? kMacroStrides[tokens[t++]] : 1;
    for (int j = 0; j + 2 <= i; ++j)
      if (tokens[t++]) layer.skips |= uint64_t(1) << j;
    g.layers.push_back(layer);
  }
  return g;
}

Tokens MacroSpace::encode(const Genotype& genotype) const {
  check_space(genotype);
  const MacroGenotype& g = std::get<MacroGenotype>(genotype);
  validate(g);
  NF_CHECK(static_cast<int>(g.layers.size()) == options_.num_layers, "macro space: encode: the genotype has ",
           g.layers.size(), " layers, this space has ", options_.num_layers);
  Tokens tokens;
  for (int i = 0; i < options_.num_layers; ++i) {
    const MacroLayer& layer = g.layers[i];
    tokens.push_back(token_of(layer.filter_height, kMacroFilterSizes));
    tokens.push_back(token_of(layer.filter_width, kMacroFilterSizes));
    tokens.push_back(token_of(layer.filters, kMacroFilterCounts));
    if (options_.search_strides)
      tokens.push_back(token_of(layer.stride, kMacroStrides));
    else
      NF_CHECK(layer.stride == 1, "macro space: encode: layers[", i,
               "] has stride 2, but this space fixes strides to 1 (search_strides=false)");
    for (int j = 0; j + 2 <= i; ++j) tokens.push_back(static_cast<int>(layer.skips >> j & 1));
  }
  return tokens;
}

std::shared_ptr<nn::Module> MacroSpace::build(const Genotype& genotype, const NetworkConfig& cfg) const {
  check_space(genotype, "build");
  const MacroGenotype& g = std::get<MacroGenotype>(genotype);
  NF_CHECK(static_cast<int>(g.layers.size()) == options_.num_layers, "macro space: build: the genotype has ",
           g.layers.size(), " layers, this space has ", options_.num_layers);
  // Without searched strides, the network reduces with its fixed pools (and
  // rejects a stride-2 layer); with them, the strided layers reduce.
  return std::make_shared<MacroNetworkImpl>(g, cfg, /*fixed_pools=*/!options_.search_strides);
}

}  // namespace nf::nas
