// Host entry points of the softmax / log-softmax and NLL kernels
// (softmax.cu), with the CPU backend's semantics (tensor/cpu/softmax.cpp):
// rows of a contiguous [R,C], sums in double.
#pragma once
#include <cstdint>

#include "cuda/kernels/kernels.h"

namespace nf::cuda {

// out = softmax (or log_softmax when `log`) of each row of x.
void softmax_rows(int64_t R, int64_t C, DType dt, const void* x, bool log, void* out,
                  const Launch& l);
// softmax: gx = y * (g - sum(g*y)); log_softmax: gx = g - exp(y) * sum(g).
void softmax_backward_rows(int64_t R, int64_t C, DType dt, const void* grad_out, const void* y,
                           bool log, void* grad_x, const Launch& l);

// out (one element) = -sum over rows i with target[i] != ignore_index of
// logp[i, target[i]] / count (NaN when count == 0). Targets were validated by
// the caller; count is the number of rows not ignored.
void nll_loss_forward(int64_t N, int64_t C, DType dt, const void* logp, const int64_t* target,
                      int64_t ignore_index, int64_t count, void* out, const Launch& l);
// grad_logp [N,C] = 0 except (i, target[i]) = -grad_out[0] / count.
void nll_loss_backward(int64_t N, int64_t C, DType dt, const void* grad_out, const int64_t* target,
                       int64_t ignore_index, int64_t count, void* grad_logp, const Launch& l);

}  // namespace nf::cuda
