#include "nn/linear.h"

#include "autograd/functions.h"
#include "nn/init.h"
#include "nn/mac_counter.h"
#include "tensor/factory.h"

namespace nf::nn {

LinearImpl::LinearImpl(int64_t in, int64_t out, bool with_bias)
    : Module("Linear"), in_features(in), out_features(out) {
  NF_CHECK(in > 0 && out > 0, "Linear: features must be positive, got in=", in, " out=", out);
  weight = register_parameter("weight", empty({out, in}));
  if (with_bias) bias = register_parameter("bias", empty({out}));
  init::default_layer_init_(weight, bias);
}

Tensor LinearImpl::forward(const Tensor& x) {
  NF_CHECK(x.dim() >= 1 && x.size(-1) == in_features, "Linear: input ", shape_str(x.shape()),
           " does not end in in_features=", in_features);
  Tensor y = matmul(x, weight.t());
  if (MacCounter::active()) MacCounter::add(x.numel() / in_features * in_features * out_features);
  return bias.defined() ? y + bias : y;
}

}  // namespace nf::nn
