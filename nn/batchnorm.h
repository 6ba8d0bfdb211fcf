// BatchNorm2d over the channels of x [N, C, H, W].
// Training normalises with the batch mean and biased variance and updates the
// running statistics (buffers running_mean/running_var) in place:
//   running = (1 - momentum) running + momentum batch_stat   (variance unbiased);
// eval normalises with the running statistics. With affine, a learned
// per-channel scale `weight` (init 1) and shift `bias` (init 0) follow.
#pragma once
#include <memory>

#include "nn/module.h"

namespace nf::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = true;
};

class BatchNorm2dImpl : public Module {
 public:
  explicit BatchNorm2dImpl(int64_t num_features, BatchNormOptions opts = {});
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;  // undefined without affine
  Tensor running_mean, running_var;
  const int64_t num_features;
  const BatchNormOptions options;
};

inline std::shared_ptr<BatchNorm2dImpl> BatchNorm2d(int64_t num_features, BatchNormOptions opts = {}) {
  return std::make_shared<BatchNorm2dImpl>(num_features, opts);
}

}  // namespace nf::nn
