// The NAS-Bench-201 network (Dong & Yang 2020, the benchmark's fixed
// skeleton) for one cell genotype, with C = cfg.channels and N = cfg.cells:
//   stem:   conv3x3(C_img -> C) - BN                       [N, C, H, W]
//   stage 1: N cells at C
//   reduction: ResNet basic block C -> 2C, stride 2         [N, 2C, H/2, W/2]
//   stage 2: N cells at 2C
//   reduction: 2C -> 4C                                     [N, 4C, H/4, W/4]
//   stage 3: N cells at 4C
//   lastact: BN - ReLU, global average pool, linear -> [N, classes]
// Cell: nodes 0..3, node 0 = the cell input, node i = sum over j < i of
// op_{i<-j}(node j), output = node 3. Ops: none (zeros, still connected to the
// graph with a zero gradient), skip_connect (identity), nor_conv_kxk (ReLU -
// conv k x k - BN, affine), avg_pool_3x3 (stride 1, padding 1, padding not
// counted). Every edge's op is built and run (as the benchmark does), even one
// whose node does not reach the output, so parameter counts match the
// benchmark's convention.
// Reduction block: out = conv_b(conv_a(x)) + downsample(x), conv_a = ReLU -
// conv3x3 s2 - BN, conv_b = ReLU - conv3x3 - BN, downsample = 2x2 s2 average
// pool then conv1x1. Sizes halve rounding up (odd sizes work; see HalvePool2d).
// Parameter names follow the reference: "stem.0.weight",
// "cells.0.edges.1<-0.op.1.weight", "cells.5.conv_a.op.1.weight",
// "cells.5.downsample.1.weight", "lastact.0.weight", "classifier.weight".
#pragma once
#include <memory>

#include "nas/genotype_nb201.h"
#include "nas/network.h"
#include "nn/container.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace nf::nas {

class Nb201CellImpl : public nn::Module {
 public:
  Nb201CellImpl(const Nb201Genotype& g, int64_t channels);
  Tensor forward(const Tensor& x) override;  // [N, C, H, W] -> [N, C, H, W]

 private:
  std::shared_ptr<nn::Module> edges_;  // children "i<-j", in edge order
};

class Nb201ResBlockImpl : public nn::Module {
 public:
  Nb201ResBlockImpl(int64_t c_in, int64_t c_out);
  Tensor forward(const Tensor& x) override;  // [N, c_in, H, W] -> [N, c_out, ceil(H/2), ceil(W/2)]

 private:
  std::shared_ptr<nn::Module> conv_a_, conv_b_, downsample_;
};

class Nb201NetworkImpl : public nn::Module {
 public:
  // Throws nf::Error when cfg does not suit (image H, W >= 4 for the two reductions).
  Nb201NetworkImpl(const Nb201Genotype& g, const NetworkConfig& cfg);
  Tensor forward(const Tensor& x) override;  // [N, C_img, H, W] -> [N, classes]

 private:
  std::shared_ptr<nn::SequentialImpl> stem_, lastact_;
  std::shared_ptr<nn::ModuleListImpl> cells_;
  std::shared_ptr<nn::LinearImpl> classifier_;
};

}  // namespace nf::nas
