// Host entry points of the pooling kernels (pool.cu), NCHW contiguous, with
// the CPU backend's semantics (tensor/cpu/pool.cpp): implicit -inf padding for
// max (an empty window gives -inf and index -1; NaN wins, the last NaN of the
// window in row-major order; otherwise the first maximum), padding left out of
// the divisor for avg (count_include_pad = false; an empty window gives 0).
#pragma once
#include <cstdint>

#include "cuda/kernels/kernels.h"

namespace nf::cuda {

// planes = N*C; input planes [H,W], output planes [OH,OW]; window k, stride s, pad p.
struct PoolShape {
  int64_t planes, H, W, OH, OW;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
};

// out and indices (flat ih*W + iw within the plane) [planes, OH, OW].
void max_pool_forward(const PoolShape& s, DType dt, const void* x, void* out, int64_t* indices,
                      const Launch& l);
// grad_x [planes,H,W] = zeros, then grad_x[plane, indices[o]] += grad_out[o]
// (window fields of s unused). An index outside [0, H*W) is skipped and sets
// *bad (a device int) to 1.
void max_pool_backward(const PoolShape& s, DType dt, const void* grad_out, const int64_t* indices,
                       void* grad_x, int* bad, const Launch& l);
void avg_pool_forward(const PoolShape& s, DType dt, const void* x, void* out, const Launch& l);
// grad_x overwritten.
void avg_pool_backward(const PoolShape& s, DType dt, const void* grad_out, void* grad_x,
                       const Launch& l);

}  // namespace nf::cuda
