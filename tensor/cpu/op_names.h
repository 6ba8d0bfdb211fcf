// Printable names of the op enums, for error messages of the CPU kernels (internal).
#pragma once
#include "tensor/backend.h"

namespace nf::cpu {

inline const char* op_name(UnaryOp op) {
  static const char* names[] = {"neg", "exp", "log", "sqrt", "rsqrt", "abs", "sign", "tanh",
                                "sigmoid", "relu", "square", "pow_scalar", "add_scalar",
                                "mul_scalar", "rsub_scalar", "gt_scalar", "relu_grad_mask",
                                "clamp_min", "clamp_max", "is_nonfinite"};
  return names[int(op)];
}

inline const char* op_name(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                "eq", "ne", "lt", "le", "gt", "ge"};
  return names[int(op)];
}

inline const char* op_name(ReduceOp op) {
  static const char* names[] = {"sum", "mean", "max", "min", "argmax"};
  return names[int(op)];
}

inline bool is_comparison(BinaryOp op) { return op >= BinaryOp::eq; }

// 1/0 results (gt_scalar, relu_grad_mask, is_nonfinite) may be written in any dtype.
inline bool is_mask_op(UnaryOp op) {
  return op == UnaryOp::gt_scalar || op == UnaryOp::relu_grad_mask || op == UnaryOp::is_nonfinite;
}

}  // namespace nf::cpu
