#include "nn/batchnorm.h"

#include "autograd/functions.h"
#include "tensor/factory.h"

namespace nf::nn {

BatchNorm2dImpl::BatchNorm2dImpl(int64_t c, BatchNormOptions o)
    : Module("BatchNorm2d"), num_features(c), options(o) {
  NF_CHECK(c > 0, "BatchNorm2d: num_features must be positive, got ", c);
  NF_CHECK(o.eps > 0 && o.momentum >= 0 && o.momentum <= 1,
           "BatchNorm2d: need eps > 0 and momentum in [0, 1], got eps=", o.eps, " momentum=", o.momentum);
  if (o.affine) {
    weight = register_parameter("weight", ones({c}));
    bias = register_parameter("bias", zeros({c}));
  }
  running_mean = register_buffer("running_mean", zeros({c}));
  running_var = register_buffer("running_var", ones({c}));
}

Tensor BatchNorm2dImpl::forward(const Tensor& x) {
  NF_CHECK(x.dim() == 4 && x.size(1) == num_features, "BatchNorm2d: expected input [N,", num_features,
           ",H,W], got ", shape_str(x.shape()));
  return batch_norm(x, weight, bias, running_mean, running_var, is_training(), options.momentum,
                    options.eps);
}

}  // namespace nf::nn
