#include "nas/space.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "autograd/grad_mode.h"
#include "nas/genotype_json.h"
#include "nas/space_darts.h"
#include "nas/space_macro.h"
#include "nas/space_nb201.h"
#include "nn/mac_counter.h"
#include "tensor/error.h"
#include "tensor/factory.h"

namespace nf::nas {

SearchSpace::SearchSpace(std::vector<Decision> decisions) : decisions_(std::move(decisions)) {
  for (const Decision& d : decisions_)
    NF_CHECK(d.num_options() >= 1, "search space: decision '", d.name, "' has no options");
}

nlohmann::json SearchSpace::config() const { return {{"space", std::string(name())}}; }

void SearchSpace::check_tokens(std::span<const int> tokens) const {
  NF_CHECK(tokens.size() == decisions_.size(), name(), " space: decode: expected ", decisions_.size(), " tokens, got ",
           tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i)
    NF_CHECK(tokens[i] >= 0 && tokens[i] < decisions_[i].num_options(), name(), " space: decode: token ", i, " (",
             decisions_[i].name, ") is ", tokens[i], ", expected 0..", decisions_[i].num_options() - 1);
}

void SearchSpace::check_space(const Genotype& g, std::string_view op) const {
  NF_CHECK(space_name(g) == name(), name(), " space: ", op, ": expected a ", name(), " genotype, got a ", space_name(g),
           " one");
}

Genotype SearchSpace::sample(Generator& gen) const {
  Tokens tokens(decisions_.size());
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int>(gen.randint(decisions_[i].num_options()));
  return decode(tokens);
}

Genotype SearchSpace::mutate(const Genotype& g, Generator& gen) const {
  Tokens tokens = encode(g);
  std::vector<size_t> mutable_decisions;
  for (size_t i = 0; i < decisions_.size(); ++i)
    if (decisions_[i].num_options() >= 2) mutable_decisions.push_back(i);
  NF_CHECK(!mutable_decisions.empty(), name(), " space: mutate: the space has a single genotype");
  size_t i = mutable_decisions[gen.randint(static_cast<int64_t>(mutable_decisions.size()))];
  // A uniform draw among the other n-1 options.
  int n = decisions_[i].num_options();
  tokens[i] = (tokens[i] + 1 + static_cast<int>(gen.randint(n - 1))) % n;
  return decode(tokens);
}

SpaceSize SearchSpace::size() const {
  SpaceSize s;
  uint64_t count = 1;
  bool fits = true;
  for (const Decision& d : decisions_) {
    uint64_t n = static_cast<uint64_t>(d.num_options());
    s.log10 += std::log10(static_cast<double>(n));
    if (fits && count > UINT64_MAX / n) fits = false;
    if (fits) count *= n;
  }
  if (fits) s.exact = count;
  return s;
}

std::unique_ptr<SearchSpace> make_space(const nlohmann::json& config) {
  constexpr std::string_view what = "space config";
  if (!config.is_object() || !config.contains("space"))
    detail::json_fail(what, "", "expected an object with a \"space\" field");
  const std::string& space = detail::get_string(config.at("space"), what, "space");
  if (space == "darts") {
    detail::check_object(config, what, "", {"space"}, {"include_none"});
    DartsSpace::Options opt;
    if (config.contains("include_none"))
      opt.include_none = detail::get_bool(config.at("include_none"), what, "include_none");
    return std::make_unique<DartsSpace>(opt);
  }
  if (space == "nb201") {
    detail::check_object(config, what, "", {"space"});
    return std::make_unique<Nb201Space>();
  }
  if (space == "macro") {
    detail::check_object(config, what, "", {"space"}, {"num_layers", "search_strides"});
    MacroSpace::Options opt;
    if (config.contains("num_layers")) {
      int64_t n = detail::get_int(config.at("num_layers"), what, "num_layers");
      if (n < 1 || n > kMacroMaxLayers)
        detail::json_fail(what, "num_layers",
                          "expected 1.." + std::to_string(kMacroMaxLayers) + ", got " + std::to_string(n));
      opt.num_layers = static_cast<int>(n);
    }
    if (config.contains("search_strides"))
      opt.search_strides = detail::get_bool(config.at("search_strides"), what, "search_strides");
    return std::make_unique<MacroSpace>(opt);
  }
  detail::json_fail(what, "space", "unknown space \"" + space + "\" (expected darts, nb201 or macro)");
}

Cost measure_cost(nn::Module& net, const std::vector<int64_t>& image_shape) {
  NF_CHECK(image_shape.size() == 3, "measure_cost: image shape must be [C, H, W]");
  Cost c;
  c.params = net.parameter_count();
  const bool was_training = net.is_training();
  net.eval();  // BatchNorm on running statistics: one image is a valid batch
  {
    autograd::NoGradGuard no_grad;
    nn::MacCounter counter;
    net.forward(zeros({1, image_shape[0], image_shape[1], image_shape[2]}));
    c.macs = counter.macs();
  }
  net.train(was_training);
  return c;
}

Cost SearchSpace::cost(const Genotype& g, const NetworkConfig& cfg) const { return measure_cost(*build(g, cfg), cfg.image_shape); }

}  // namespace nf::nas
