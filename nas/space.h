// SearchSpace: what every multi-trial strategy needs from a space without
// building networks. A space is a fixed, ordered list of categorical decisions
// (what a controller emits, one token per decision) and a bijection between
// token vectors and the space's genotypes:
//   decode(tokens) -> genotype,  encode(genotype) -> tokens,  decode(encode(g)) == g.
// Because it is a bijection, uniform tokens give a uniform genotype (sample),
// changing one token gives a different genotype (mutate), and the number of
// genotypes is the product of the option counts (size).
//
// Later (with nn/): `build(g, config) -> std::shared_ptr<nn::Module>` and
// `cost(g) -> {params, flops}` join as further virtuals of this class; the
// per-space subclasses (nas/space_*.h) are where they will be implemented.
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

 protected:
  explicit SearchSpace(std::vector<Decision> decisions);
  // The token-vector checks every decode() starts with.
  void check_tokens(std::span<const int> tokens) const;
  // The held genotype's space tag must be name(); every encode() starts with this.
  void check_space(const Genotype& g) const;

 private:
  std::vector<Decision> decisions_;
};

// A space from its config (see each space's header for its options); throws nf::Error
// naming the field on a bad config ("space config: <field>: <problem>").
std::unique_ptr<SearchSpace> make_space(const nlohmann::json& config);

}  // namespace nf::nas
