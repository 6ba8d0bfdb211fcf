#include "nn/dropout.h"

#include "autograd/functions.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::nn {

namespace {

void check_p(const char* op, double p) {
  NF_CHECK(p >= 0 && p <= 1, op, ": drop probability must be in [0, 1], got ", p);
}

// x * mask, where mask (shape `mask_shape`, broadcast to x) is 1 / (1 - p)
// with probability 1 - p and 0 otherwise.
Tensor apply_mask(const Tensor& x, const Shape& mask_shape, double p, Generator* gen) {
  if (p == 1.0) return mul(x, 0.0);
  Tensor mask = bernoulli(mask_shape, 1.0 - p, {x.dtype(), x.device()}, gen);
  raw::mul_(mask, 1.0 / (1.0 - p));
  return mul(x, mask);
}

}  // namespace

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  check_p("dropout", p);
  if (!training || p == 0.0) return x;
  return apply_mask(x, x.shape(), p, gen);
}

Tensor drop_path(const Tensor& x, double p, bool training, Generator* gen) {
  check_p("drop_path", p);
  if (!training || p == 0.0) return x;
  NF_CHECK(x.dim() >= 1, "drop_path: expected a batch dimension, got ", shape_str(x.shape()));
  Shape mask_shape(x.dim(), 1);
  mask_shape[0] = x.size(0);
  return apply_mask(x, mask_shape, p, gen);
}

DropoutImpl::DropoutImpl(double p_, Generator* gen) : Module("Dropout"), p(p_), gen_(gen) {
  check_p("Dropout", p);
}
Tensor DropoutImpl::forward(const Tensor& x) { return dropout(x, p, is_training(), gen_); }

DropPathImpl::DropPathImpl(double p_, Generator* gen) : Module("DropPath"), p(p_), gen_(gen) {
  check_p("DropPath", p);
}
Tensor DropPathImpl::forward(const Tensor& x) { return drop_path(x, p, is_training(), gen_); }

}  // namespace nf::nn
