#include "nn/darts_ops.h"

#include "autograd/functions.h"
#include "nn/activation.h"

namespace nf::nn {

namespace {

BatchNormOptions bn_options(bool affine) { return {.affine = affine}; }

// relu -> depthwise (groups = c_in) -> pointwise 1x1 -> bn, appended to `seq`.
void add_separable_block(SequentialImpl& seq, int64_t c_in, int64_t c_out, int64_t kernel,
                         int64_t stride, int64_t padding, int64_t dilation, bool affine) {
  seq.push_back(ReLU());
  seq.push_back(Conv2d(c_in, c_in, kernel,
                       {.stride = stride, .padding = padding, .dilation = dilation, .groups = c_in,
                        .bias = false}));
  seq.push_back(Conv2d(c_in, c_out, 1, {.bias = false}));
  seq.push_back(BatchNorm2d(c_out, bn_options(affine)));
}

}  // namespace

ReLUConvBNImpl::ReLUConvBNImpl(int64_t c_in, int64_t c_out, int64_t kernel, int64_t stride,
                               int64_t padding, bool affine)
    : Module("ReLUConvBN") {
  op = register_module("op", Sequential(ReLU(),
                                        Conv2d(c_in, c_out, kernel,
                                               {.stride = stride, .padding = padding, .bias = false}),
                                        BatchNorm2d(c_out, bn_options(affine))));
}

DilConvImpl::DilConvImpl(int64_t c_in, int64_t c_out, int64_t kernel, int64_t stride, int64_t padding,
                         int64_t dilation, bool affine)
    : Module("DilConv") {
  op = register_module("op", Sequential());
  add_separable_block(*op, c_in, c_out, kernel, stride, padding, dilation, affine);
}

SepConvImpl::SepConvImpl(int64_t c_in, int64_t c_out, int64_t kernel, int64_t stride, int64_t padding,
                         bool affine)
    : Module("SepConv") {
  op = register_module("op", Sequential());
  add_separable_block(*op, c_in, c_in, kernel, stride, padding, 1, affine);
  add_separable_block(*op, c_in, c_out, kernel, 1, padding, 1, affine);
}

FactorizedReduceImpl::FactorizedReduceImpl(int64_t c_in, int64_t c_out, bool affine)
    : Module("FactorizedReduce") {
  NF_CHECK(c_out % 2 == 0, "FactorizedReduce: C_out must be even, got ", c_out);
  conv_1 = register_module("conv_1", Conv2d(c_in, c_out / 2, 1, {.stride = 2, .bias = false}));
  // Padding 1 shifts the stride-2 grid: outputs 1.. of the padded conv sample
  // pixels 1, 3, 5, ... (the odd grid), and a zero row/column past an odd edge.
  conv_2 = register_module("conv_2", Conv2d(c_in, c_out / 2, 1, {.stride = 2, .padding = 1, .bias = false}));
  bn = register_module("bn", BatchNorm2d(c_out, bn_options(affine)));
}

Tensor FactorizedReduceImpl::forward(const Tensor& x) {
  NF_CHECK(x.dim() == 4, "FactorizedReduce: expected input [N,C,H,W], got ", shape_str(x.shape()));
  Tensor r = relu(x);
  Tensor even = conv_1->forward(r);
  Tensor odd = conv_2->forward(r);
  odd = odd.slice(2, 1, odd.size(2)).slice(3, 1, odd.size(3));
  return bn->forward(cat({even, odd}, 1));
}

ZeroImpl::ZeroImpl(int64_t s) : Module("Zero"), stride(s) {
  NF_CHECK(s > 0, "Zero: stride must be positive, got ", s);
}

Tensor ZeroImpl::forward(const Tensor& x) {
  NF_CHECK(x.dim() == 4, "Zero: expected input [N,C,H,W], got ", shape_str(x.shape()));
  if (stride == 1) return mul(x, 0.0);
  return mul(x.slice(2, 0, x.size(2), stride).slice(3, 0, x.size(3), stride), 0.0);
}

}  // namespace nf::nn
