// The building blocks of one-shot (differentiable) search, DARTS (Liu,
// Simonyan & Yang 2019):
//
// MixedOp: one edge of a supernet cell. It holds every candidate operation of
// the edge and returns their mixture
//   out = sum_k w_k * op_k(x),    w = softmax(alpha_row)   (given at forward),
// x [N, C, H, W] -> [N, C, H', W'] (every op maps alike). The weights come from
// the caller because α belongs to the network (shared by all cells of a type),
// not to the edge. A zero op ('none', nn::ZeroImpl) adds exactly nothing and
// passes no gradient to x or to its weight, so it is skipped rather than
// computed (its α still gets its gradient through the softmax).
//
// Supernet: a network whose edges are MixedOps, plus its architecture
// parameters α (each a [edges, ops] logit matrix). α are registered as
// parameters of the supernet (so a checkpoint holds them), but the bilevel
// optimiser keeps them apart: arch_parameters() are α, weight_parameters()
// are all the others. Each space's supernet (nas/supernet_<space>.h) says how
// it derives a discrete genotype from softmax(α).
#pragma once
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "nas/genotype.h"
#include "nn/container.h"
#include "nn/module.h"

namespace nf::nas {

class MixedOpImpl : public nn::Module {
 public:
  // ops: the candidates, in the space's op order (the order of α's columns).
  explicit MixedOpImpl(std::vector<std::shared_ptr<nn::Module>> ops);
  // x [N, C, H, W], weights [num_ops] (a row of softmax(α)) -> sum_k weights[k] * op_k(x).
  Tensor forward(const Tensor& x, const Tensor& weights);
  int64_t num_ops() const { return int64_t(ops_->size()); }
  const std::shared_ptr<nn::Module>& op(int64_t k) const { return (*ops_)[size_t(k)]; }

 private:
  std::shared_ptr<nn::ModuleListImpl> ops_;  // children "_ops.<k>", as the reference
  std::vector<bool> zero_;                   // op k is the zero op
};

inline std::shared_ptr<MixedOpImpl> MixedOp(std::vector<std::shared_ptr<nn::Module>> ops) {
  return std::make_shared<MixedOpImpl>(std::move(ops));
}

class SupernetImpl : public nn::Module {
 public:
  using nn::Module::Module;

  // α, in registration order.
  std::vector<Tensor> arch_parameters() const;
  // Every parameter that is not an α, in parameters() order.
  std::vector<Tensor> weight_parameters() const;
  // The α matrices by name ("normal", "reduce"; "cell" for NB201).
  const std::vector<std::pair<std::string, Tensor>>& named_alphas() const { return alphas_; }

  // The space whose genotypes derive() returns ("darts", "nb201").
  virtual std::string space_name() const = 0;
  // Labels of α's columns (op names) and rows (edges, "2<-0": state 2 reads state 0).
  virtual std::vector<std::string> op_names() const = 0;
  virtual std::vector<std::string> edge_names() const = 0;
  // The discrete architecture the current α select (see each supernet).
  virtual Genotype derive() const = 0;

  // softmax(α) of every edge: {"ops": [...], "edges": [...], "<alpha name>": [[p_op...] per edge], ...}.
  nlohmann::json alphas_json() const;

 protected:
  // Registers α `name` as the parameter "alphas_<name>" and returns its handle.
  Tensor register_alpha(const std::string& name, Tensor init);

 private:
  std::vector<std::pair<std::string, Tensor>> alphas_;
};

// softmax over the last dim of α without recording a graph: [edges, ops].
Tensor alpha_weights(const Tensor& alpha);

}  // namespace nf::nas
