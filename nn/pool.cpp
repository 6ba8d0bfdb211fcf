#include "nn/pool.h"

#include "autograd/functions.h"

namespace nf::nn {

namespace {

PoolParams make_params(const char* op, int64_t k, Pool2dOptions o) {
  int64_t s = o.stride == 0 ? k : o.stride;
  NF_CHECK(k > 0 && s > 0 && o.padding >= 0 && 2 * o.padding <= k, op,
           ": need kernel > 0, stride > 0 and 0 <= padding <= kernel/2; got kernel=", k, " stride=", s,
           " padding=", o.padding);
  return {.kernel_h = k, .kernel_w = k, .stride_h = s, .stride_w = s, .pad_h = o.padding, .pad_w = o.padding};
}

void check_nchw(const char* op, const Tensor& x) {
  NF_CHECK(x.dim() == 4, op, ": expected input [N,C,H,W], got ", shape_str(x.shape()));
}

}  // namespace

MaxPool2dImpl::MaxPool2dImpl(int64_t k, Pool2dOptions o)
    : Module("MaxPool2d"), params(make_params("MaxPool2d", k, o)) {}

Tensor MaxPool2dImpl::forward(const Tensor& x) {
  check_nchw("MaxPool2d", x);
  return max_pool2d(x, params);
}

AvgPool2dImpl::AvgPool2dImpl(int64_t k, Pool2dOptions o)
    : Module("AvgPool2d"), params(make_params("AvgPool2d", k, o)) {}

Tensor AvgPool2dImpl::forward(const Tensor& x) {
  check_nchw("AvgPool2d", x);
  return avg_pool2d(x, params);
}

Tensor GlobalAvgPoolImpl::forward(const Tensor& x) {
  check_nchw("GlobalAvgPool", x);
  return mean(x, {2, 3});
}

}  // namespace nf::nn
