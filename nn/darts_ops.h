// The candidate operations of the DARTS cell space (Liu et al. 2019, after
// the reference implementation's operations.py). All map [N, C_in, H, W] to
// [N, C_out, H / stride, W / stride] when padding = dilation * (kernel - 1) / 2:
// stride 1 keeps H x W, stride 2 halves it (rounding up). `affine` is false
// during the search (BatchNorm without learned scale/shift) and true in the
// final network. Parameter names follow the reference ("op.1.weight").
#pragma once
#include <memory>

#include "nn/batchnorm.h"
#include "nn/container.h"
#include "nn/conv.h"

namespace nf::nn {

// relu -> conv(kernel, stride, padding, no bias) -> batchnorm.
class ReLUConvBNImpl : public Module {
 public:
  ReLUConvBNImpl(int64_t c_in, int64_t c_out, int64_t kernel, int64_t stride, int64_t padding,
                 bool affine = true);
  Tensor forward(const Tensor& x) override { return op->forward(x); }
  std::shared_ptr<SequentialImpl> op;
};

// relu -> depthwise conv(kernel, stride, padding, dilation) -> pointwise 1x1 conv -> batchnorm.
class DilConvImpl : public Module {
 public:
  DilConvImpl(int64_t c_in, int64_t c_out, int64_t kernel, int64_t stride, int64_t padding,
              int64_t dilation, bool affine = true);
  Tensor forward(const Tensor& x) override { return op->forward(x); }
  std::shared_ptr<SequentialImpl> op;
};

// Two stacked relu-depthwise-pointwise-bn blocks: the first (stride, C_in -> C_in),
// the second (stride 1, C_in -> C_out).
class SepConvImpl : public Module {
 public:
  SepConvImpl(int64_t c_in, int64_t c_out, int64_t kernel, int64_t stride, int64_t padding,
              bool affine = true);
  Tensor forward(const Tensor& x) override { return op->forward(x); }
  std::shared_ptr<SequentialImpl> op;
};

// Halves H x W without discarding pixels: relu, then two 1x1 stride-2 convs
// (C_out/2 channels each) on the even and on the odd pixel grid, concatenated
// over channels, then batchnorm. The odd grid of an odd-sized input is padded
// with zeros at the bottom/right so both halves have ceil(H/2) x ceil(W/2).
class FactorizedReduceImpl : public Module {
 public:
  FactorizedReduceImpl(int64_t c_in, int64_t c_out, bool affine = true);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Conv2dImpl> conv_1, conv_2;
  std::shared_ptr<BatchNorm2dImpl> bn;
};

// The "none" operation: zeros of shape [N, C, ceil(H/stride), ceil(W/stride)],
// still connected to x (with zero gradient) so a mixed op's graph is uniform.
class ZeroImpl : public Module {
 public:
  explicit ZeroImpl(int64_t stride = 1);
  Tensor forward(const Tensor& x) override;
  const int64_t stride;
};

inline std::shared_ptr<ReLUConvBNImpl> ReLUConvBN(int64_t c_in, int64_t c_out, int64_t kernel,
                                                  int64_t stride, int64_t padding, bool affine = true) {
  return std::make_shared<ReLUConvBNImpl>(c_in, c_out, kernel, stride, padding, affine);
}
inline std::shared_ptr<DilConvImpl> DilConv(int64_t c_in, int64_t c_out, int64_t kernel, int64_t stride,
                                            int64_t padding, int64_t dilation, bool affine = true) {
  return std::make_shared<DilConvImpl>(c_in, c_out, kernel, stride, padding, dilation, affine);
}
inline std::shared_ptr<SepConvImpl> SepConv(int64_t c_in, int64_t c_out, int64_t kernel, int64_t stride,
                                            int64_t padding, bool affine = true) {
  return std::make_shared<SepConvImpl>(c_in, c_out, kernel, stride, padding, affine);
}
inline std::shared_ptr<FactorizedReduceImpl> FactorizedReduce(int64_t c_in, int64_t c_out,
                                                              bool affine = true) {
  return std::make_shared<FactorizedReduceImpl>(c_in, c_out, affine);
}
inline std::shared_ptr<ZeroImpl> Zero(int64_t stride = 1) { return std::make_shared<ZeroImpl>(stride); }

}  // namespace nf::nn
