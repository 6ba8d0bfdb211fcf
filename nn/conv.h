// Conv2d on NCHW input: x [N, C_in, H, W] -> [N, C_out, OH, OW] with
// OH = (H + 2 padding - dilation (kernel - 1) - 1) / stride + 1;
// weight [C_out, C_in / groups, kernel, kernel], bias [C_out].
#pragma once
#include <memory>

#include "nn/module.h"
#include "tensor/backend.h"

namespace nf::nn {

struct Conv2dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
};

class Conv2dImpl : public Module {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Conv2dOptions opts = {});
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;  // bias undefined when disabled
  const int64_t in_channels, out_channels, kernel_size;
  const Conv2dOptions options;

 private:
  ConvParams params_;
};

inline std::shared_ptr<Conv2dImpl> Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                                          Conv2dOptions opts = {}) {
  return std::make_shared<Conv2dImpl>(in_channels, out_channels, kernel_size, opts);
}

}  // namespace nf::nn
