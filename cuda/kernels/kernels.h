// Host-side entry points of the kernels in cuda/kernels/*.cu (one .cu per op
// family). They take plain descriptors (TensorArg), not nf::Tensor, so nvcc
// compiles only small headers; cuda/tensor_arg.h builds them from tensors.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "tensor/dtype.h"

namespace nf::cuda {

constexpr int kMaxDims = 12;

// A strided tensor as a kernel sees it: device pointer (at the view's offset),
// dtype, and its dims after collapsing (see collapse_dims in tensor_arg.h).
struct TensorArg {
  void* data = nullptr;
  DType dtype = DType::f32;
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};  // in elements
};

// True when the elements are dense in row-major order (after collapsing, a
// contiguous tensor has one dim of stride 1).
inline bool is_dense(const TensorArg& t) { return t.ndim == 1 && t.strides[0] == 1; }

// Where to launch: the backend's stream, and the grid cap for grid-stride
// loops (enough blocks to fill every SM, no more).
struct Launch {
  cudaStream_t stream = nullptr;
  int max_blocks = 1;
};

// fill.cu: every element of `out` (numel of them) = value cast to out's dtype.
void fill(const TensorArg& out, int64_t numel, double value, const Launch& l);

// copy.cu: dst[i] = cast(src[i]); src and dst have the same (collapsed) sizes.
void copy(const TensorArg& src, const TensorArg& dst, int64_t numel, const Launch& l);

}  // namespace nf::cuda
