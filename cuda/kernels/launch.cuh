// Device-side helpers shared by the kernels: grid-stride loops, grid sizing
// and strided offsets. Included only by .cu files.
#pragma once
#include <algorithm>
#include <cstdint>

#include "cuda/kernels/kernels.h"

namespace nf::cuda {

constexpr int kThreads = 256;

// Blocks for n elements: one element per thread up to the backend's cap; the
// grid-stride loop covers the rest.
inline int grid_for(int64_t n, const Launch& l) {
  int64_t blocks = (n + kThreads - 1) / kThreads;
  return int(std::max<int64_t>(1, std::min<int64_t>(blocks, l.max_blocks)));
}

// for (i over [0, n)) distributed across the whole grid.
#define NF_GRID_STRIDE_LOOP(i, n)                                                    \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n);          \
       i += int64_t(blockDim.x) * gridDim.x)

// Element offset of row-major linear index i in a tensor with `t`'s sizes
// and strides (last dim fastest).
__device__ __forceinline__ int64_t strided_offset(int64_t i, const TensorArg& t) {
  int64_t off = 0;
  for (int d = t.ndim - 1; d >= 0; --d) {
    int64_t s = t.sizes[d];
    off += (i % s) * t.strides[d];
    i /= s;
  }
  return off;
}

}  // namespace nf::cuda
