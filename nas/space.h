// SearchSpace: what every multi-trial strategy needs from a space without
// building networks. A space is a fixed, ordered list of categorical decisions
// (what a controller emits, one token per decision) and a bijection between
// token vectors and the space's genotypes:
//   decode(tokens) -> genotype,  encode(genotype) -> tokens,  decode(encode(g)) == g.
// Because it is a bijection, uniform tokens give a uniform genotype (sample),
// changing one token gives a different genotype (mutate), and the number of
// genotypes is the product of the option counts (size).
//
// build() turns a genotype into a trainable nn::Module (input [N, C, H, W] ->
// logits [N, classes]); cost() measures what it builds.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nas/genotype.h"
#include "nas/network.h"
#include "nn/module.h"
#include "tensor/random.h"

namespace nf::nas {

// One categorical choice: e.g. name "normal.node2.edge1.op", options {"none", ..., "dil_conv_5x5"}.
struct Decision {
  std::string name;
  std::vector<std::string> options;  // labels, for logs and reports; a token indexes them
  int num_options() const { return static_cast<int>(options.size()); }
};

struct SpaceSize {
  double log10 = 0;               // log10 of the number of distinct genotypes
  std::optional<uint64_t> exact;  // the count itself, when it fits in 64 bits
};

using Tokens = std::vector<int>;

class SearchSpace {
 public:
  virtual ~SearchSpace() = default;
  SearchSpace(const SearchSpace&) = delete;
  SearchSpace& operator=(const SearchSpace&) = delete;

  // The space's name ("darts", "nb201", "macro"), equal to its genotypes' space tag.
  virtual std::string_view name() const = 0;
  // {"space": name, options...}; make_space(config()) rebuilds an identical space.
  virtual nlohmann::json config() const;

  const std::vector<Decision>& decisions() const { return decisions_; }
  // Throws nf::Error on a wrong token count or a token out of its decision's range.
  virtual Genotype decode(std::span<const int> tokens) const = 0;
  // Throws nf::Error when g is not a genotype of this space.
  virtual Tokens encode(const Genotype& g) const = 0;

  // Uniform over the space's genotypes.
  virtual Genotype sample(Generator& gen) const;
  // Changes exactly one decision to another of its options, the decision drawn
  // uniformly among those with 2+ options: one op or input of one cell node for
  // DARTS, one edge op for NB201, one layer choice or skip bit for macro (as
  // AmoebaNet's op and hidden-state mutations). Always returns a different genotype.
  virtual Genotype mutate(const Genotype& g, Generator& gen) const;
  virtual SpaceSize size() const;

  // A freshly initialised network for g, in training mode (weights drawn from
  // the global generator: seed it with manual_seed for a reproducible network).
  // Each space's header (nas/network_<space>.h) describes its network and
  // parameter names. Throws nf::Error when g is not a genotype of this space or
  // cfg does not suit it.
  virtual std::shared_ptr<nn::Module> build(const Genotype& g, const NetworkConfig& cfg) const = 0;
  // Parameters and multiply-accumulates of build(g, cfg): the MACs of one
  // eval-mode forward pass of one zero image [1, C, H, W] without grad (convs
  // and linear layers; see nn/mac_counter.h). Builds the network, so it draws
  // from the global generator.
  Cost cost(const Genotype& g, const NetworkConfig& cfg) const;

 protected:
  explicit SearchSpace(std::vector<Decision> decisions);
  // The token-vector checks every decode() starts with.
  void check_tokens(std::span<const int> tokens) const;
  // The held genotype's space tag must be name(); every encode() and build()
  // starts with this. `op` names the caller in the message.
  void check_space(const Genotype& g, std::string_view op = "encode") const;

 private:
  std::vector<Decision> decisions_;
};

// Parameters of `net`, and the multiply-accumulates of one eval-mode forward
// pass of a zero image of shape image_shape [C, H, W] (net's mode is restored).
Cost measure_cost(nn::Module& net, const std::vector<int64_t>& image_shape);

// A space from its config (see each space's header for its options); throws nf::Error
// naming the field on a bad config ("space config: <field>: <problem>").
std::unique_ptr<SearchSpace> make_space(const nlohmann::json& config);

}  // namespace nf::nas
