// Naive elementwise oracles: one logical multi-index at a time, math in double.
#include <cmath>

#include "tensor/cpu/reference.h"
#include "tensor/cpu/reference/element_access.h"

namespace nf::cpu::ref {

namespace {

double unary_value(UnaryOp op, double v, double alpha) {
  switch (op) {
    case UnaryOp::neg: return -v;
    case UnaryOp::exp: return std::exp(v);
    case UnaryOp::log: return std::log(v);
    case UnaryOp::sqrt: return std::sqrt(v);
    case UnaryOp::rsqrt: return 1.0 / std::sqrt(v);
    case UnaryOp::abs: return std::abs(v);
    case UnaryOp::sign: return v > 0 ? 1.0 : (v < 0 ? -1.0 : v);
    case UnaryOp::tanh: return std::tanh(v);
    case UnaryOp::sigmoid: return 1.0 / (1.0 + std::exp(-v));
    case UnaryOp::relu: return std::isnan(v) ? v : (v > 0 ? v : 0.0);
    case UnaryOp::square: return v * v;
    case UnaryOp::pow_scalar: return std::pow(v, alpha);
    case UnaryOp::add_scalar: return v + alpha;
    case UnaryOp::mul_scalar: return v * alpha;
    case UnaryOp::rsub_scalar: return alpha - v;
    case UnaryOp::gt_scalar: return v > alpha ? 1.0 : 0.0;
    case UnaryOp::relu_grad_mask: return v > 0 ? 1.0 : 0.0;
    case UnaryOp::clamp_min: return std::isnan(v) ? v : std::max(v, alpha);
    case UnaryOp::clamp_max: return std::isnan(v) ? v : std::min(v, alpha);
    case UnaryOp::is_nonfinite: return std::isfinite(v) ? 0.0 : 1.0;
  }
  NF_FAIL("ref unary: unknown op");
}

double binary_value(BinaryOp op, double x, double y) {
  switch (op) {
    case BinaryOp::add: return x + y;
    case BinaryOp::sub: return x - y;
    case BinaryOp::mul: return x * y;
    case BinaryOp::div: return x / y;
    case BinaryOp::pow: return std::pow(x, y);
    case BinaryOp::maximum: return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
    case BinaryOp::minimum: return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
    case BinaryOp::eq: return x == y;
    case BinaryOp::ne: return x != y;
    case BinaryOp::lt: return x < y;
    case BinaryOp::le: return x <= y;
    case BinaryOp::gt: return x > y;
    case BinaryOp::ge: return x >= y;
  }
  NF_FAIL("ref binary: unknown op");
}

}  // namespace

void unary(UnaryOp op, const Tensor& x, Tensor& out, double alpha) {
  NF_CHECK(x.shape() == out.shape(), "ref unary: shape mismatch");
  if (x.numel() == 0) return;
  std::vector<int64_t> idx(x.shape().size(), 0);
  do {
    store(out, idx, unary_value(op, load(x, idx), alpha));
  } while (next_index(idx, x.shape()));
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  NF_CHECK(a.shape() == out.shape() && b.shape() == out.shape(), "ref binary: shape mismatch");
  if (out.numel() == 0) return;
  std::vector<int64_t> idx(out.shape().size(), 0);
  do {
    store(out, idx, binary_value(op, load(a, idx), load(b, idx)));
  } while (next_index(idx, out.shape()));
}

}  // namespace nf::cpu::ref
