// The DARTS evaluation network (Liu et al. 2019; the reference NetworkCIFAR)
// for one genotype, with C = cfg.channels and L = cfg.cells:
//   stem: conv3x3(C_img -> 3C) - BN; both inputs of the first cell are the stem.
//   cells 0..L-1: cell k reads the outputs of cells k-2 and k-1; cells L/3
//     and 2L/3 (integer division) are reduction cells: stride 2, C doubled.
//   global average pool, linear -> [N, classes].
// Cell with C channels: preprocess0 = FactorizedReduce(C_prev_prev -> C) when
// the previous cell reduced (its input is twice the size), else ReLU-conv1x1-BN;
// preprocess1 = ReLU-conv1x1-BN(C_prev -> C). Node i (states 2..5) sums its two
// ops; in a reduction cell an op reading state 0 or 1 has stride 2 (skip_connect
// with stride 2 is FactorizedReduce). Output = concat of states 2..5: [N, 4C, ...].
// Ops are built with affine BN, as in the reference's final network. In
// training mode every op except the identity is followed by drop-path with
// probability drop_path_prob (cfg.drop_path to start; a trainer may schedule it).
// Odd sizes halve rounding up (28 -> 14 -> 7 -> 4).
// With cfg.auxiliary, an auxiliary head (AuxiliaryHeadImpl below) reads the
// output of cell 2L/3 (the second reduction); forward_with_auxiliary returns
// its logits in training mode, and forward() never computes it, so evaluation
// ignores it. Its parameters are "auxiliary_head.*" (only when enabled: the
// other names are the same with and without it).
// Parameter names follow the reference: "stem.0.weight",
// "cells.3.preprocess0.op.1.weight", "cells.3._ops.5.op.1.weight", "classifier.weight".
#pragma once
#include <array>
#include <memory>

#include "nas/genotype_darts.h"
#include "nas/network.h"
#include "nn/container.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace nf::nas {

class DartsCellImpl : public nn::Module {
 public:
  DartsCellImpl(const DartsCell& cell, int64_t c_prev_prev, int64_t c_prev, int64_t c, bool reduction,
                bool reduction_prev);
  // s0 [N, c_prev_prev, 2H or H, ...], s1 [N, c_prev, H, W] -> [N, 4c, H or ceil(H/2), ...].
  Tensor forward(const Tensor& s0, const Tensor& s1, double drop_path_prob);

  const bool reduction;

 private:
  std::shared_ptr<nn::Module> preprocess0_, preprocess1_;
  std::shared_ptr<nn::ModuleListImpl> ops_;
  std::array<int, DartsCell::kEdges> inputs_{};
  std::array<bool, DartsCell::kEdges> identity_{};  // drop-path skips these
};

// The reference's AuxiliaryHeadCIFAR, for any map of at least 2x2:
//   relu, avg-pool to 2x2, conv1x1 (C -> 128) - BN - relu, conv2x2 (128 -> 768)
//   - BN - relu, flatten, linear (768 -> classes); [N, C, H, W] -> [N, classes].
// The pool has stride s = min(3, H/2) and kernel H - s (per dimension), no
// padding: on the 8x8 CIFAR map that is the reference's 5x5, stride 3; on a 7x7
// Fashion-MNIST map 4x4, stride 3 (two windows that overlap by one pixel).
// Names follow the reference: "features.2.weight" (the 1x1 conv), "features.5.weight"
// (the 2x2 conv), "classifier.weight".
class AuxiliaryHeadImpl : public nn::Module {
 public:
  // c: the input's channels; h, w: its spatial size (both >= 2).
  AuxiliaryHeadImpl(int64_t c, int64_t h, int64_t w, int64_t classes);
  Tensor forward(const Tensor& x) override;

 private:
  int64_t c_, h_, w_;  // the input it was built for
  std::shared_ptr<nn::SequentialImpl> features_;
  std::shared_ptr<nn::LinearImpl> classifier_;
};

struct DartsOutput {
  Tensor logits;     // [N, classes]
  Tensor auxiliary;  // [N, classes] from the auxiliary head; undefined in eval mode or without one
};

class DartsNetworkImpl : public nn::Module {
 public:
  DartsNetworkImpl(const DartsGenotype& g, const NetworkConfig& cfg);
  Tensor forward(const Tensor& x) override;  // [N, C_img, H, W] -> [N, classes]
  // forward() plus, in training mode with an auxiliary head, its logits.
  DartsOutput forward_with_auxiliary(const Tensor& x);
  bool has_auxiliary() const { return aux_head_ != nullptr; }

  double drop_path_prob;

 private:
  DartsOutput run(const Tensor& x, bool auxiliary);

  std::shared_ptr<nn::SequentialImpl> stem_;
  std::shared_ptr<nn::ModuleListImpl> cells_;
  std::shared_ptr<nn::LinearImpl> classifier_;
  std::shared_ptr<AuxiliaryHeadImpl> aux_head_;  // null without cfg.auxiliary
  int64_t aux_cell_ = -1;                        // the cell whose output it reads
};

}  // namespace nf::nas
