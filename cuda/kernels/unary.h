// Host entry point of unary.cu. The host side (cuda/elementwise.cpp) has
// checked shapes, dtypes and devices and collapsed the operands with
// collapsed_args, so the descriptors share sizes.
#pragma once
#include <cstdint>

#include "cuda/kernels/kernels.h"
#include "tensor/backend.h"

namespace nf::cuda {

// out = op(x, alpha); x f32/f64. Mask ops (gt_scalar, relu_grad_mask,
// is_nonfinite) write 1/0 in out's dtype (any); the others write x's dtype.
void unary(UnaryOp op, const TensorArg& x, const TensorArg& out, int64_t n, double alpha,
           const Launch& l);

}  // namespace nf::cuda
