// The macro chain space (Zoph & Le 2017 CNN style) as categorical decisions,
// layer by layer: filter height (1,3,5,7), filter width (1,3,5,7), filter count
// (24,36,48,64), the stride (1,2) when strides are searched, then one off/on
// skip decision per earlier non-adjacent layer:
//   layer0.filter_height, layer0.filter_width, layer0.filters, [layer0.stride], ...,
//   layer2.skip0, layer3.skip0, layer3.skip1, ...
// Without strides every layer has stride 1.
// Config: {"space": "macro", "num_layers": 12, "search_strides": false}.
#pragma once
#include "nas/space.h"

namespace nf::nas {

struct MacroSpaceOptions {
  int num_layers = 12;  // 1..kMacroMaxLayers
  bool search_strides = false;
};

class MacroSpace final : public SearchSpace {
 public:
  using Options = MacroSpaceOptions;
  explicit MacroSpace(Options options = {});

  std::string_view name() const override { return "macro"; }
  nlohmann::json config() const override;
  Genotype decode(std::span<const int> tokens) const override;
  Tokens encode(const Genotype& g) const override;
  // The network of nas/network_macro.h.
  std::shared_ptr<nn::Module> build(const Genotype& g, const NetworkConfig& cfg) const override;
  const Options& options() const { return options_; }

 private:
  Options options_;
};

}  // namespace nf::nas
