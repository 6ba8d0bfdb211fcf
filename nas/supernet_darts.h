// The DARTS search network (Liu et al. 2019; the reference model_search.py)
// for the DARTS cell space, with C = cfg.channels and L = cfg.cells:
//   stem: conv3x3(C_img -> 3C) - BN (affine); both inputs of cell 0 are the stem.
//   cells 0..L-1 as in nas/network_darts.h (cell k reads cells k-2 and k-1;
//     cells L/3 and 2L/3 reduce: stride 2, C doubled; preprocess0 =
//     FactorizedReduce after a reduction, else ReLU-conv1x1-BN), but every one
//     of the 14 possible edges of a cell (node i reads states 0..i+1) is a
//     MixedOp over the 8 DARTS ops; node i sums its i+2 mixed edges; the
//     output concatenates states 2..5: [N, 4C, ...].
//   global average pool, linear -> [N, classes].
// Search-time ops have BN without affine parameters (preprocessing too), and
// the pooling ops are followed by such a BN, as in the reference.
// α: "normal" and "reduce", each [14, 8] (edge order: node 0's inputs 0, 1,
// then node 1's inputs 0..2, ...; columns in DartsOp order), initialised to
// 1e-3 * N(0, 1) after the weights; parameters "alphas_normal", "alphas_reduce".
// Edge names: "2<-0", "2<-1", "3<-0", ... (state <- input state).
#pragma once
#include <array>
#include <memory>

#include "nas/genotype_darts.h"
#include "nas/mixed_op.h"
#include "nas/network.h"
#include "nn/container.h"
#include "nn/linear.h"

namespace nf::nas {

inline constexpr int kDartsSearchEdges = 14;  // 2 + 3 + 4 + 5

// The first edge of node i (0-based): edges of node i are first .. first + i + 1.
constexpr int darts_node_first_edge(int node) { return node * (node + 3) / 2; }

class DartsSearchCellImpl : public nn::Module {
 public:
  DartsSearchCellImpl(int64_t c_prev_prev, int64_t c_prev, int64_t c, bool reduction, bool reduction_prev);
  // s0 [N, c_prev_prev, ...], s1 [N, c_prev, H, W], weights [14, 8] = softmax(this cell type's α)
  // -> [N, 4c, H or ceil(H/2), ...].
  Tensor forward(const Tensor& s0, const Tensor& s1, const Tensor& weights);

  const bool reduction;

 private:
  std::shared_ptr<nn::Module> preprocess0_, preprocess1_;
  std::shared_ptr<nn::ModuleListImpl> ops_;  // 14 MixedOps
};

class DartsSupernetImpl : public SupernetImpl {
 public:
  explicit DartsSupernetImpl(const NetworkConfig& cfg);
  Tensor forward(const Tensor& x) override;  // [N, C_img, H, W] -> [N, classes]

  std::string space_name() const override { return "darts"; }
  std::vector<std::string> op_names() const override;
  std::vector<std::string> edge_names() const override;
  // derive_darts(softmax(alphas_normal), softmax(alphas_reduce)).
  Genotype derive() const override;

  Tensor alphas_normal, alphas_reduce;  // [14, 8]

 private:
  std::shared_ptr<nn::SequentialImpl> stem_;
  std::shared_ptr<nn::ModuleListImpl> cells_;
  std::shared_ptr<nn::LinearImpl> classifier_;
};

// The reference's genotype(): for each node, its two inputs whose strongest
// op other than 'none' weighs most (ties: the lower input), each with that
// op, the stronger edge first. weights: [14, 8] softmax rows.
DartsCell derive_darts_cell(const Tensor& weights);
DartsGenotype derive_darts(const Tensor& normal_weights, const Tensor& reduce_weights);

}  // namespace nf::nas
