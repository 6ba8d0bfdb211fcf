// What the NAS networks share: the config check and a small pooling layer.
//
// check_network_config: image_shape is [C, H, W] with positive sizes, and
// num_classes, channels and cells are positive; throws nf::Error
// "<space> network: <field>: <problem>".
//
// HalvePool2d: a 2x2, stride-2 pool that rounds up, [N, C, H, W] -> [N, C,
// ceil(H/2), ceil(W/2)]: an odd dimension gets one pixel of padding (-inf for
// max, excluded from the divisor for average), so an odd-sized map keeps its
// last row/column instead of dropping it. Stride-2 convolutions with 'same'
// padding also give ceil(H/2), so a pooled shortcut and a strided conv agree
// on every input size.
#pragma once
#include <memory>

#include <string_view>

#include "nas/network.h"
#include "nn/module.h"

namespace nf::nas {

void check_network_config(const NetworkConfig& cfg, std::string_view space);

enum class PoolKind { max, avg };

Tensor halve_pool2d(const Tensor& x, PoolKind kind);

class HalvePool2dImpl : public nn::Module {
 public:
  explicit HalvePool2dImpl(PoolKind kind);
  Tensor forward(const Tensor& x) override { return halve_pool2d(x, kind); }
  const PoolKind kind;
};

inline std::shared_ptr<HalvePool2dImpl> HalvePool2d(PoolKind kind) { return std::make_shared<HalvePool2dImpl>(kind); }

}  // namespace nf::nas
