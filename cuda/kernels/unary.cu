// Unary elementwise ops (every UnaryOp) on f32/f64 inputs, with the exact
// semantics of the CPU backend (tensor/cpu/elementwise.cpp): NaN propagates
// through relu/clamp/sign, sign(+-0) = +-0, pow_scalar(x, 2) = x * x, and the
// mask ops compare in double so alpha is not rounded to f32 first.
#include <type_traits>

#include "cuda/kernels/elementwise.cuh"
#include "cuda/kernels/math.cuh"
#include "cuda/kernels/unary.h"

namespace nf::cuda {

namespace {

// Ops whose result has x's dtype T; a = alpha cast to T (as on the CPU).
template <typename T, UnaryOp kOp>
struct SameDtypeFn {
  T a;
  __device__ __forceinline__ T operator()(T v) const {
    if constexpr (kOp == UnaryOp::neg) return -v;
    else if constexpr (kOp == UnaryOp::exp) return dev_exp(v);
    else if constexpr (kOp == UnaryOp::log) return dev_log(v);
    else if constexpr (kOp == UnaryOp::sqrt) return dev_sqrt(v);
    else if constexpr (kOp == UnaryOp::rsqrt) return T(1) / dev_sqrt(v);  // not rsqrtf: CPU rounding
    else if constexpr (kOp == UnaryOp::abs) return dev_abs(v);
    else if constexpr (kOp == UnaryOp::sign) return v > T(0) ? T(1) : (v < T(0) ? T(-1) : v);
    else if constexpr (kOp == UnaryOp::tanh) return dev_tanh(v);
    else if constexpr (kOp == UnaryOp::sigmoid) return T(1) / (T(1) + dev_exp(-v));
    else if constexpr (kOp == UnaryOp::relu) return v < T(0) ? T(0) : v;
    else if constexpr (kOp == UnaryOp::square) return v * v;
    else if constexpr (kOp == UnaryOp::pow_scalar) return dev_pow(v, a);
    else if constexpr (kOp == UnaryOp::add_scalar) return v + a;
    else if constexpr (kOp == UnaryOp::mul_scalar) return v * a;
    else if constexpr (kOp == UnaryOp::rsub_scalar) return a - v;
    else if constexpr (kOp == UnaryOp::clamp_min) return v < a ? a : v;
    else if constexpr (kOp == UnaryOp::clamp_max) return v > a ? a : v;
    else static_assert(kOp == UnaryOp::neg, "not a same-dtype unary op");
  }
};

// 1/0 ops: the predicate on T written in out's dtype O.
template <typename T, typename O, UnaryOp kOp>
struct MaskFn {
  double alpha;
  __device__ __forceinline__ O operator()(T v) const {
    if constexpr (kOp == UnaryOp::gt_scalar) return O(double(v) > alpha);
    else if constexpr (kOp == UnaryOp::relu_grad_mask) return O(v > T(0));
    else if constexpr (kOp == UnaryOp::is_nonfinite) return O(dev_nonfinite(v));
    else static_assert(kOp == UnaryOp::gt_scalar, "not a mask op");
  }
};

template <UnaryOp kOp>
using OpTag = std::integral_constant<UnaryOp, kOp>;

template <typename T>
void unary_same_dtype(UnaryOp op, const TensorArg& x, const TensorArg& out, int64_t n,
                      double alpha, const Launch& l) {
  const T a = static_cast<T>(alpha);
  auto run = [&](auto tag) {
    launch_map1<T, T>(SameDtypeFn<T, decltype(tag)::value>{a}, out, x, n, l);
  };
  switch (op) {
    case UnaryOp::neg: return run(OpTag<UnaryOp::neg>{});
    case UnaryOp::exp: return run(OpTag<UnaryOp::exp>{});
    case UnaryOp::log: return run(OpTag<UnaryOp::log>{});
    case UnaryOp::sqrt: return run(OpTag<UnaryOp::sqrt>{});
    case UnaryOp::rsqrt: return run(OpTag<UnaryOp::rsqrt>{});
    case UnaryOp::abs: return run(OpTag<UnaryOp::abs>{});
    case UnaryOp::sign: return run(OpTag<UnaryOp::sign>{});
    case UnaryOp::tanh: return run(OpTag<UnaryOp::tanh>{});
    case UnaryOp::sigmoid: return run(OpTag<UnaryOp::sigmoid>{});
    case UnaryOp::relu: return run(OpTag<UnaryOp::relu>{});
    case UnaryOp::square: return run(OpTag<UnaryOp::square>{});
    case UnaryOp::pow_scalar:
      if (alpha == 2.0) return run(OpTag<UnaryOp::square>{});
      return run(OpTag<UnaryOp::pow_scalar>{});
    case UnaryOp::add_scalar: return run(OpTag<UnaryOp::add_scalar>{});
    case UnaryOp::mul_scalar: return run(OpTag<UnaryOp::mul_scalar>{});
    case UnaryOp::rsub_scalar: return run(OpTag<UnaryOp::rsub_scalar>{});
    case UnaryOp::clamp_min: return run(OpTag<UnaryOp::clamp_min>{});
    case UnaryOp::clamp_max: return run(OpTag<UnaryOp::clamp_max>{});
    case UnaryOp::gt_scalar:
    case UnaryOp::relu_grad_mask:
    case UnaryOp::is_nonfinite: break;
  }
  NF_FAIL("cuda unary: op ", int(op), " has no same-dtype result");
}

template <typename T>
void unary_mask(UnaryOp op, const TensorArg& x, const TensorArg& out, int64_t n, double alpha,
                const Launch& l) {
  dispatch_all(out.dtype, "cuda unary", [&](auto o_tag) {
    using O = decltype(o_tag);
    auto run = [&](auto tag) {
      launch_map1<O, T>(MaskFn<T, O, decltype(tag)::value>{alpha}, out, x, n, l);
    };
    switch (op) {
      case UnaryOp::gt_scalar: return run(OpTag<UnaryOp::gt_scalar>{});
      case UnaryOp::relu_grad_mask: return run(OpTag<UnaryOp::relu_grad_mask>{});
      case UnaryOp::is_nonfinite: return run(OpTag<UnaryOp::is_nonfinite>{});
      default: NF_FAIL("cuda unary: op ", int(op), " is not a 1/0 op");
    }
  });
}

}  // namespace

void unary(UnaryOp op, const TensorArg& x, const TensorArg& out, int64_t n, double alpha,
           const Launch& l) {
  if (n == 0) return;
  const bool mask = op == UnaryOp::gt_scalar || op == UnaryOp::relu_grad_mask ||
                    op == UnaryOp::is_nonfinite;
  dispatch_floating(x.dtype, "cuda unary", [&](auto tag) {
    using T = decltype(tag);
    if (mask) unary_mask<T>(op, x, out, n, alpha, l);
    else unary_same_dtype<T>(op, x, out, n, alpha, l);
  });
}

}  // namespace nf::cuda
