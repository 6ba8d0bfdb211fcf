// conv2d: the input gradient is the transposed convolution of the output
// gradient with w, the weight gradient the correlation of x with it, the bias
// gradient its sum over N, H, W.
#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

GradcheckCase conv_case(std::string variant, Shape sx, Shape sw, bool bias, ConvParams p) {
  return {.variant = std::move(variant),
          .make_inputs = [=](Generator& g) {
            return Inputs{randn64(sx, g), randn64(sw, g), bias ? randn64({sw[0]}, g) : Tensor{}};
          },
          .run = [p](const Inputs& x) { return conv2d(x[0], x[1], x[2], p); }};
}

const OpDef& kConv2d = register_op("conv2d", {
    conv_case("pad1_bias", {2, 3, 5, 5}, {4, 3, 3, 3}, true, {.pad_h = 1, .pad_w = 1}),
    conv_case("stride2_dilation2", {1, 3, 7, 7}, {3, 3, 3, 3}, false,
              {.stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1, .dilation_h = 2, .dilation_w = 2}),
    conv_case("depthwise", {2, 3, 5, 5}, {3, 1, 3, 3}, true, {.pad_h = 1, .pad_w = 1, .groups = 3}),
    conv_case("rect_groups", {1, 4, 5, 7}, {6, 2, 3, 1}, false,
              {.stride_h = 2, .pad_w = 1, .groups = 2})});

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvParams& p) {
  return record(kConv2d, {x, w, bias}, raw::conv2d(x, w, bias, p),
                {keep_if(w.requires_grad(), x), keep_if(x.requires_grad(), w)},
                [p](const BackwardContext& c) {
                  Tensor g = c.grad_output();
                  Grads grads(3);
                  if (c.needs_input_grad(0))
                    grads[0] = raw::conv2d_backward_input(g, c.saved(1), c.input_shape(0), p);
                  if (c.needs_input_grad(1))
                    grads[1] = raw::conv2d_backward_weight(g, c.saved(0), c.input_shape(1), p);
                  if (c.needs_input_grad(2)) grads[2] = raw::sum(g, {0, 2, 3});
                  return grads;
                });
}

namespace autograd::detail {
void link_ops_conv() {}
}  // namespace autograd::detail

}  // namespace nf
