// Host entry points of binary.cu (binary ops and where). The host side
// (cuda/elementwise.cpp) has checked shapes, dtypes and devices and collapsed
// the operands with collapsed_args, so the descriptors share sizes.
#pragma once
#include <cstdint>

#include "cuda/kernels/kernels.h"
#include "tensor/backend.h"

namespace nf::cuda {

// out = op(a, b); a, b f32/f64/i64 of one dtype. Arithmetic writes that dtype
// (div/pow: floating only); comparisons write 1/0 as bool, u8 or the inputs' dtype.
void binary(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out, int64_t n,
            const Launch& l);

// out = cond ? a : b; cond bool/u8 (read as bytes), a/b/out one dtype (any).
void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out,
           int64_t n, const Launch& l);

}  // namespace nf::cuda
