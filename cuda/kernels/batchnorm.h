// Host entry points of the batch-norm kernels (batchnorm.cu), with the CPU
// backend's semantics (tensor/cpu/batchnorm.cpp): x [N,C,*] contiguous seen as
// [N,C,S]; statistics per channel in double, biased variance for the
// normalisation, unbiased for running_var; running stats updated in training
// when given (non-null). weight/bias may be null (affine off).
#pragma once
#include <cstdint>

#include "cuda/kernels/kernels.h"

namespace nf::cuda {

struct ChannelShape {
  int64_t N, C, S;
};

void batch_norm_forward(const ChannelShape& s, DType dt, const void* x, const void* weight,
                        const void* bias, void* running_mean, void* running_var, bool training,
                        double momentum, double eps, void* out, void* save_mean,
                        void* save_invstd, const Launch& l);
// grad_x, grad_weight, grad_bias: each written when non-null.
void batch_norm_backward(const ChannelShape& s, DType dt, const void* grad_out, const void* x,
                         const void* weight, const void* save_mean, const void* save_invstd,
                         bool training, void* grad_x, void* grad_weight, void* grad_bias,
                         const Launch& l);

}  // namespace nf::cuda
