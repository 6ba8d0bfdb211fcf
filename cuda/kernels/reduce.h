// Host entry point of reduce.cu: sum, mean, max, min, argmax of a strided
// tensor into a contiguous keepdim output. The host side (cuda/reduce.cpp)
// checks arguments and describes x twice: over its kept dims (indexed by the
// output's flat index) and over its reduced dims (indexed by the flat index of
// the reduced elements), each collapsed.
#pragma once
#include <cstdint>

#include "cuda/allocator.h"
#include "cuda/kernels/kernels.h"
#include "tensor/backend.h"

namespace nf::cuda {

struct ReducePlan {
  TensorArg kept;         // data = x's first element; sizes/strides of the kept dims
  TensorArg reduced;      // sizes/strides of the reduced dims (argmax: the one dim)
  int64_t out_numel = 1;  // product of the kept sizes
  int64_t red_numel = 1;  // product of the reduced sizes, > 0
  // Loop order: true when the output's elements are closer together in x than
  // consecutive reduced elements (e.g. [N,C] -> [1,C]): threads then take
  // neighbouring outputs; otherwise a warp or block reduces each output.
  bool columns = false;
};

// out (contiguous, n = out_numel elements; i64 for argmax, else x's dtype) =
// op over each output's reduced elements. x dtype f32/f64/i64 (mean: floating).
// `alloc` provides the scratch of split reductions (partials per output).
void reduce(ReduceOp op, DType x_dtype, const ReducePlan& plan, void* out, CachingAllocator& alloc,
            const Launch& l);

}  // namespace nf::cuda
