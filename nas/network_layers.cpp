#include "nas/network_layers.h"

#include "autograd/functions.h"
#include "tensor/error.h"

namespace nf::nas {

void check_network_config(const NetworkConfig& cfg, std::string_view space) {
  bool shape_ok = cfg.image_shape.size() == 3;
  for (int64_t d : cfg.image_shape) shape_ok = shape_ok && d >= 1;
  NF_CHECK(shape_ok, space, " network: image_shape: expected [C, H, W] with positive sizes, got ",
           shape_str(cfg.image_shape));
  NF_CHECK(cfg.num_classes >= 1, space, " network: num_classes: expected >= 1, got ", cfg.num_classes);
  NF_CHECK(cfg.channels >= 1, space, " network: channels: expected >= 1, got ", cfg.channels);
  NF_CHECK(cfg.cells >= 1, space, " network: cells: expected >= 1, got ", cfg.cells);
  NF_CHECK(cfg.drop_path >= 0 && cfg.drop_path < 1, space, " network: drop_path: expected a probability in [0, 1), got ",
           cfg.drop_path);
}

Tensor halve_pool2d(const Tensor& x, PoolKind kind) {
  NF_CHECK(x.dim() == 4, "HalvePool2d: expected input [N,C,H,W], got ", shape_str(x.shape()));
  // Padding p on both sides of an odd size n: (n + 2p - 2) / 2 + 1 = ceil(n / 2) for p = 1.
  const PoolParams p{.kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2,
                     .pad_h = x.size(2) % 2, .pad_w = x.size(3) % 2};
  return kind == PoolKind::max ? max_pool2d(x, p) : avg_pool2d(x, p);
}

HalvePool2dImpl::HalvePool2dImpl(PoolKind k)
    : nn::Module(k == PoolKind::max ? "HalveMaxPool2d" : "HalveAvgPool2d"), kind(k) {}

}  // namespace nf::nas
