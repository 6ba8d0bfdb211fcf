#include "nn/conv.h"

#include "autograd/functions.h"
#include "nn/init.h"
#include "nn/mac_counter.h"
#include "tensor/factory.h"

namespace nf::nn {

Conv2dImpl::Conv2dImpl(int64_t in, int64_t out, int64_t k, Conv2dOptions o)
    : Module("Conv2d"), in_channels(in), out_channels(out), kernel_size(k), options(o) {
  NF_CHECK(in > 0 && out > 0 && k > 0, "Conv2d: channels and kernel size must be positive, got in=", in,
           " out=", out, " kernel=", k);
  NF_CHECK(o.stride > 0 && o.dilation > 0 && o.padding >= 0 && o.groups > 0,
           "Conv2d: need stride > 0, dilation > 0, padding >= 0, groups > 0; got stride=", o.stride,
           " dilation=", o.dilation, " padding=", o.padding, " groups=", o.groups);
  NF_CHECK(in % o.groups == 0 && out % o.groups == 0, "Conv2d: channels in=", in, " out=", out,
           " are not divisible by groups=", o.groups);
  params_ = {.stride_h = o.stride, .stride_w = o.stride, .pad_h = o.padding, .pad_w = o.padding,
             .dilation_h = o.dilation, .dilation_w = o.dilation, .groups = o.groups};
  weight = register_parameter("weight", empty({out, in / o.groups, k, k}));
  if (o.bias) bias = register_parameter("bias", empty({out}));
  init::default_layer_init_(weight, bias);
}

Tensor Conv2dImpl::forward(const Tensor& x) {
  NF_CHECK(x.dim() == 4 && x.size(1) == in_channels, "Conv2d: expected input [N,", in_channels,
           ",H,W], got ", shape_str(x.shape()));
  Tensor y = conv2d(x, weight, bias, params_);
  if (MacCounter::active()) MacCounter::add(conv2d_macs(y.shape(), weight.shape()));
  return y;
}

}  // namespace nf::nn
