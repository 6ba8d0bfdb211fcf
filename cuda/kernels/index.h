// Host entry points of index.cu: the index range check and the two indexing
// kernels behind index_select/gather (reads) and index_add/scatter_add
// (atomic accumulating writes). The host side (cuda/index.cpp) checks shapes
// and builds the operands: every descriptor has the iteration shape's
// collapsed sizes (out's for reads, src's for writes), the indexed tensor
// with its `dim` stride set to 0 and the index viewed over that shape.
#pragma once
#include <cstdint>

#include "cuda/allocator.h"
#include "cuda/kernels/kernels.h"

namespace nf::cuda {

// Row-major position (over index's own shape) of the first element outside
// [0, limit), or -1 when all are in range. index is i64, n its numel.
// Synchronises the stream (the answer is read back).
int64_t first_bad_index(const TensorArg& index, int64_t n, int64_t limit, CachingAllocator& alloc,
                        const Launch& l);

// out[o] = x[x_o + index[i_o] * x_dim_stride], n elements, any dtype.
void gather(const TensorArg& out, const TensorArg& x, const TensorArg& index,
            int64_t x_dim_stride, int64_t n, const Launch& l);

// out[o_s + index[i_s] * out_dim_stride] += src[s] (atomicAdd), n elements;
// f32, f64 or i64. Float sums hitting one element land in no fixed order.
void scatter_add(const TensorArg& out, const TensorArg& src, const TensorArg& index,
                 int64_t out_dim_stride, int64_t n, const Launch& l);

}  // namespace nf::cuda
