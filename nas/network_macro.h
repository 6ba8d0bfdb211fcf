// The macro chain network (Zoph & Le 2017 CNN space) for one genotype:
//   stem: conv3x3(C_img -> cfg.channels) - BN - ReLU
//   layer i: input = channel concat of [layer i-1's output (the stem's for
//     i = 0), then the outputs of its skip layers j in increasing order], then
//     conv(filter_height x filter_width, filters, stride, 'same' padding, no
//     bias) - BN - ReLU.
//   global average pool, linear -> [N, classes].
// Reductions: with fixed strides (search_strides false) a 2x2 max-pool follows
// the layers that end the first floor(L/3) and the first floor(2L/3) layers
// (after layers 3 and 7 for L = 12, ENAS-style: three stages of equal depth;
// none for L = 1, one after layer 0 for L = 2); with searched strides there are
// no fixed pools, the stride-2 layers reduce.
// Skip inputs of a larger spatial size: each is max-pooled (2x2, stride 2,
// rounding up) as many times as the reductions between it and layer i-1, so it
// matches layer i-1's output, the smallest input (sizes never grow along the
// chain). Max-pooling keeps the strongest activations and adds no parameters,
// so a skip bit changes only the next conv's input width. Every reduction
// (strided conv or pool) gives ceil(H/2) x ceil(W/2), so these sizes agree on
// any input size.
// Parameter names: "stem.0.weight", "stem.1.weight", "layers.3.conv.weight",
// "layers.3.bn.weight", "classifier.weight".
#pragma once
#include <memory>
#include <vector>

#include "nas/genotype_macro.h"
#include "nas/network.h"
#include "nn/batchnorm.h"
#include "nn/container.h"
#include "nn/linear.h"
#include "nn/module.h"

namespace nf::nas {

// Bias-free conv with a kh x kw kernel (odd sizes), stride s and 'same'
// padding ((k-1)/2): [N, c_in, H, W] -> [N, c_out, ceil(H/s), ceil(W/s)];
// weight [c_out, c_in, kh, kw]. Counts its MACs like nn::Conv2d.
class RectConv2dImpl : public nn::Module {
 public:
  RectConv2dImpl(int64_t c_in, int64_t c_out, int64_t kh, int64_t kw, int64_t stride);
  Tensor forward(const Tensor& x) override;
  Tensor weight;
  const int64_t stride;
};

// conv - BN - ReLU of one macro layer.
class MacroLayerImpl : public nn::Module {
 public:
  MacroLayerImpl(const MacroLayer& layer, int64_t c_in);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<RectConv2dImpl> conv;
  std::shared_ptr<nn::BatchNorm2dImpl> bn;
};

class MacroNetworkImpl : public nn::Module {
 public:
  // fixed_pools: whether the fixed 2x2 max-pool reductions are used (the
  // space's search_strides is false); then every layer must have stride 1.
  MacroNetworkImpl(const MacroGenotype& g, const NetworkConfig& cfg, bool fixed_pools);
  Tensor forward(const Tensor& x) override;  // [N, C_img, H, W] -> [N, classes]

 private:
  struct Wiring {
    std::vector<int> skips;          // source layers, increasing
    std::vector<int> skip_halvings;  // 2x2 max-pools applied to each skip input
    bool pool_after = false;         // a fixed max-pool follows this layer
  };
  std::shared_ptr<nn::SequentialImpl> stem_;
  std::shared_ptr<nn::ModuleListImpl> layers_;
  std::shared_ptr<nn::LinearImpl> classifier_;
  std::vector<Wiring> wiring_;
};

}  // namespace nf::nas
