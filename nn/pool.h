// Pooling on NCHW input. Padding is implicit -inf for max and excluded from
// the divisor for average (count_include_pad = false, as DARTS uses).
// GlobalAvgPool: [N, C, H, W] -> [N, C] (spatial mean, already flattened for a classifier).
#pragma once
#include <memory>

#include "nn/module.h"
#include "tensor/backend.h"

namespace nf::nn {

struct Pool2dOptions {
  int64_t stride = 0;  // 0: equal to the kernel size
  int64_t padding = 0;
};

class MaxPool2dImpl : public Module {
 public:
  MaxPool2dImpl(int64_t kernel_size, Pool2dOptions opts = {});
  Tensor forward(const Tensor& x) override;
  const PoolParams params;
};

class AvgPool2dImpl : public Module {
 public:
  AvgPool2dImpl(int64_t kernel_size, Pool2dOptions opts = {});
  Tensor forward(const Tensor& x) override;
  const PoolParams params;
};

class GlobalAvgPoolImpl : public Module {
 public:
  GlobalAvgPoolImpl() : Module("GlobalAvgPool") {}
  Tensor forward(const Tensor& x) override;
};

inline std::shared_ptr<MaxPool2dImpl> MaxPool2d(int64_t kernel_size, Pool2dOptions opts = {}) {
  return std::make_shared<MaxPool2dImpl>(kernel_size, opts);
}
inline std::shared_ptr<AvgPool2dImpl> AvgPool2d(int64_t kernel_size, Pool2dOptions opts = {}) {
  return std::make_shared<AvgPool2dImpl>(kernel_size, opts);
}
inline std::shared_ptr<GlobalAvgPoolImpl> GlobalAvgPool() { return std::make_shared<GlobalAvgPoolImpl>(); }

}  // namespace nf::nn
