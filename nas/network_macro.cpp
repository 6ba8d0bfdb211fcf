#include "nas/network_macro.h"

#include "autograd/functions.h"
#include "nas/network_layers.h"
#include "nn/activation.h"
#include "nn/conv.h"
#include "nn/init.h"
#include "nn/mac_counter.h"
#include "tensor/error.h"
#include "tensor/factory.h"

namespace nf::nas {

RectConv2dImpl::RectConv2dImpl(int64_t c_in, int64_t c_out, int64_t kh, int64_t kw, int64_t s)
    : nn::Module("RectConv2d"), stride(s) {
  NF_CHECK(c_in > 0 && c_out > 0 && kh > 0 && kw > 0 && kh % 2 == 1 && kw % 2 == 1 && s > 0,
           "RectConv2d: need positive channels, odd kernel sizes and a positive stride, got in=", c_in, " out=", c_out,
           " kernel=", kh, "x", kw, " stride=", s);
  weight = register_parameter("weight", empty({c_out, c_in, kh, kw}));
  nn::init::default_layer_init_(weight, Tensor{});
}

Tensor RectConv2dImpl::forward(const Tensor& x) {
  NF_CHECK(x.dim() == 4 && x.size(1) == weight.size(1), "RectConv2d: expected input [N,", weight.size(1),
           ",H,W], got ", shape_str(x.shape()));
  const ConvParams p{.stride_h = stride, .stride_w = stride, .pad_h = (weight.size(2) - 1) / 2,
                     .pad_w = (weight.size(3) - 1) / 2};
  Tensor y = conv2d(x, weight, Tensor{}, p);
  if (nn::MacCounter::active()) nn::MacCounter::add(nn::conv2d_macs(y.shape(), weight.shape()));
  return y;
}

MacroLayerImpl::MacroLayerImpl(const MacroLayer& layer, int64_t c_in) : nn::Module("MacroLayer") {
  conv = register_module("conv", std::make_shared<RectConv2dImpl>(c_in, layer.filters, layer.filter_height,
                                                                   layer.filter_width, layer.stride));
  bn = register_module("bn", nn::BatchNorm2d(layer.filters));
}

Tensor MacroLayerImpl::forward(const Tensor& x) { return relu(bn->forward(conv->forward(x))); }

MacroNetworkImpl::MacroNetworkImpl(const MacroGenotype& g, const NetworkConfig& cfg, bool fixed_pools)
    : nn::Module("MacroNetwork") {
  check_network_config(cfg, "macro");
  validate(g);
  const int n = static_cast<int>(g.layers.size());
  stem_ = register_module("stem", nn::Sequential(nn::Conv2d(cfg.image_shape[0], cfg.channels, 3,
                                                            {.padding = 1, .bias = false}),
                                                 nn::BatchNorm2d(cfg.channels), nn::ReLU()));
  layers_ = register_module("layers", nn::ModuleList());
  // level[i]: how many reductions precede layer i's output (after its pool).
  std::vector<int> level(n);
  int64_t prev_width = cfg.channels;
  int prev_level = 0;
  for (int i = 0; i < n; ++i) {
    const MacroLayer& layer = g.layers[i];
    NF_CHECK(!fixed_pools || layer.stride == 1, "macro network: layers[", i,
             "] has stride 2, but with fixed pools (search_strides=false) every stride is 1");
    Wiring w;
    int64_t c_in = prev_width;
    for (int j = 0; j + 2 <= i; ++j)
      if (layer.skips >> j & 1) {
        w.skips.push_back(j);
        w.skip_halvings.push_back(prev_level - level[j]);
        c_in += g.layers[j].filters;
      }
    w.pool_after = fixed_pools && (i + 1 == n / 3 || i + 1 == 2 * n / 3);
    layers_->push_back(std::make_shared<MacroLayerImpl>(layer, c_in));
    level[i] = prev_level + (layer.stride == 2 ? 1 : 0) + (w.pool_after ? 1 : 0);
    prev_level = level[i];
    prev_width = layer.filters;
    wiring_.push_back(std::move(w));
  }
  classifier_ = register_module("classifier", nn::Linear(prev_width, cfg.num_classes));
}

Tensor MacroNetworkImpl::forward(const Tensor& x) {
  std::vector<Tensor> outs;
  Tensor h = stem_->forward(x);
  for (size_t i = 0; i < wiring_.size(); ++i) {
    const Wiring& w = wiring_[i];
    if (!w.skips.empty()) {
      std::vector<Tensor> inputs = {h};
      for (size_t k = 0; k < w.skips.size(); ++k) {
        Tensor s = outs[w.skips[k]];
        for (int r = 0; r < w.skip_halvings[k]; ++r) s = halve_pool2d(s, PoolKind::max);
        inputs.push_back(s);
      }
      h = cat(inputs, 1);
    }
    h = (*layers_)[i]->forward(h);
    if (w.pool_after) h = halve_pool2d(h, PoolKind::max);
    outs.push_back(h);
  }
  return classifier_->forward(mean(h, {2, 3}));  // global average pool: [N, filters of the last layer]
}

}  // namespace nf::nas
