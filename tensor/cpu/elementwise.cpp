// Elementwise CPU kernels: fill, copy (with casts), unary, binary, where.
//
// Every kernel is one loop body handed to parallel_runs (strided.h), which
// coalesces the operands' dims and walks innermost runs; all-contiguous
// operands become one flat run per thread chunk. Inside a run the body takes
// a unit-stride branch (vectorised) or a general strided one; binary also has
// branches for a broadcast scalar operand (stride 0), e.g. a bias row.
#include <cmath>
#include <type_traits>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/op_names.h"
#include "tensor/cpu/strided.h"

namespace nf::cpu {

namespace {

// Value conversion between dtypes; bool is "nonzero" (NaN counts as true).
template <typename O, typename I>
inline O convert(I v) {
  if constexpr (std::is_same_v<O, bool>) return v != I(0);
  else return static_cast<O>(v);
}

template <typename T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

void check_same_shape(const char* op, const Tensor& a, const Tensor& out) {
  NF_CHECK(a.shape() == out.shape(), op, ": input ", shape_str(a.shape()), " does not match output ",
           shape_str(out.shape()));
}

// out[i] = f(x[i]) with x of type I and out of type O.
template <typename I, typename O, typename F>
void map1(const Tensor& x, Tensor& out, F f) {
  const I* px = ptr<const I>(x);
  O* po = ptr<O>(out);
  parallel_runs<2>(out.shape(), strides_of(out, x), kElementwiseGrain,
                   [&](const Offsets<2>& off, const Offsets<2>& st, int64_t n, int64_t) {
                     O* o = po + off[0];
                     const I* a = px + off[1];
                     if (st[0] == 1 && st[1] == 1) {
                       for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
                     } else {
                       for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(a[i * st[1]]);
                     }
                   });
}

// out[i] = f(a[i], b[i]).
template <typename T, typename O, typename F>
void map2(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const T* pa = ptr<const T>(a);
  const T* pb = ptr<const T>(b);
  O* po = ptr<O>(out);
  parallel_runs<3>(out.shape(), strides_of(out, a, b), kElementwiseGrain,
                   [&](const Offsets<3>& off, const Offsets<3>& st, int64_t n, int64_t) {
                     O* o = po + off[0];
                     const T* x = pa + off[1];
                     const T* y = pb + off[2];
                     if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
                       for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
                     } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
                       const T yv = *y;
                       for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
                     } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
                       const T xv = *x;
                       for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
                     } else {
                       for (int64_t i = 0; i < n; ++i) o[i * st[0]] = f(x[i * st[1]], y[i * st[2]]);
                     }
                   });
}

// --- unary --------------------------------------------------------------------

// Ops whose result has x's dtype T.
template <typename T>
void unary_same_dtype(UnaryOp op, const Tensor& x, Tensor& out, double alpha) {
  NF_CHECK(out.dtype() == x.dtype(), "unary ", op_name(op), ": output dtype ", dtype_name(out.dtype()),
           " differs from input dtype ", dtype_name(x.dtype()));
  const T a = static_cast<T>(alpha);
  auto run = [&](auto f) { map1<T, T>(x, out, f); };
  switch (op) {
    case UnaryOp::neg: return run([](T v) { return -v; });
    case UnaryOp::exp: return run([](T v) { return std::exp(v); });
    case UnaryOp::log: return run([](T v) { return std::log(v); });
    case UnaryOp::sqrt: return run([](T v) { return std::sqrt(v); });
    case UnaryOp::rsqrt: return run([](T v) { return T(1) / std::sqrt(v); });
    case UnaryOp::abs: return run([](T v) { return std::abs(v); });
    // sign(NaN) = NaN, sign(+-0) = +-0.
    case UnaryOp::sign: return run([](T v) { return v > T(0) ? T(1) : (v < T(0) ? T(-1) : v); });
    case UnaryOp::tanh: return run([](T v) { return std::tanh(v); });
    // exp(-v) overflows to inf for very negative v, giving the correct limit 0.
    case UnaryOp::sigmoid: return run([](T v) { return T(1) / (T(1) + std::exp(-v)); });
    // Comparisons written so that NaN propagates (NaN < 0 is false).
    case UnaryOp::relu: return run([](T v) { return v < T(0) ? T(0) : v; });
    case UnaryOp::square: return run([](T v) { return v * v; });
    case UnaryOp::pow_scalar:
      if (alpha == 2.0) return run([](T v) { return v * v; });
      return run([a](T v) { return std::pow(v, a); });
    case UnaryOp::add_scalar: return run([a](T v) { return v + a; });
    case UnaryOp::mul_scalar: return run([a](T v) { return v * a; });
    case UnaryOp::rsub_scalar: return run([a](T v) { return a - v; });
    case UnaryOp::clamp_min: return run([a](T v) { return v < a ? a : v; });
    case UnaryOp::clamp_max: return run([a](T v) { return v > a ? a : v; });
    case UnaryOp::gt_scalar:
    case UnaryOp::relu_grad_mask:
    case UnaryOp::is_nonfinite: break;
  }
  NF_FAIL("unary ", op_name(op), ": not an op with a same-dtype result");
}

// 1/0 ops: the predicate on T written as 1/0 in out's dtype (any dtype).
template <typename T>
void unary_mask(UnaryOp op, const Tensor& x, Tensor& out, double alpha) {
  dispatch_all(out.dtype(), op_name(op), [&](auto o_tag) {
    using O = decltype(o_tag);
    auto run = [&](auto pred) { map1<T, O>(x, out, [pred](T v) { return O(pred(v)); }); };
    switch (op) {
      // Compared in double so that alpha is not rounded to T first.
      case UnaryOp::gt_scalar: return run([alpha](T v) { return double(v) > alpha; });
      case UnaryOp::relu_grad_mask: return run([](T v) { return v > T(0); });
      case UnaryOp::is_nonfinite: return run([](T v) { return !std::isfinite(v); });
      default: NF_FAIL("unary ", op_name(op), ": not a 1/0 op");
    }
  });
}

// --- binary -------------------------------------------------------------------

template <typename T>
void binary_arith(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  NF_CHECK(out.dtype() == a.dtype(), "binary ", op_name(op), ": output dtype ", dtype_name(out.dtype()),
           " differs from input dtype ", dtype_name(a.dtype()));
  auto run = [&](auto f) { map2<T, T>(a, b, out, f); };
  constexpr bool floating = std::is_floating_point_v<T>;
  switch (op) {
    case BinaryOp::add: return run([](T x, T y) { return T(x + y); });
    case BinaryOp::sub: return run([](T x, T y) { return T(x - y); });
    case BinaryOp::mul: return run([](T x, T y) { return T(x * y); });
    case BinaryOp::div:
      if constexpr (floating) return run([](T x, T y) { return x / y; });
      break;
    case BinaryOp::pow:
      if constexpr (floating) return run([](T x, T y) { return T(std::pow(x, y)); });
      break;
    // NaN in either operand propagates (x != x only for NaN).
    case BinaryOp::maximum: return run([](T x, T y) { return x != x ? x : (x > y ? x : y); });
    case BinaryOp::minimum: return run([](T x, T y) { return x != x ? x : (x < y ? x : y); });
    default: break;
  }
  NF_FAIL("binary ", op_name(op), ": unsupported for dtype ", dtype_name(a.dtype()));
}

// Comparisons write 1/0 as bool, u8 or the inputs' dtype.
template <typename T>
void binary_compare(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  DType od = out.dtype();
  NF_CHECK(od == DType::boolean || od == DType::u8 || od == a.dtype(), "binary ", op_name(op),
           ": output dtype must be bool, u8 or ", dtype_name(a.dtype()), ", got ", dtype_name(od));
  dispatch_all(od, op_name(op), [&](auto o_tag) {
    using O = decltype(o_tag);
    auto run = [&](auto pred) { map2<T, O>(a, b, out, [pred](T x, T y) { return O(pred(x, y)); }); };
    switch (op) {
      case BinaryOp::eq: return run([](T x, T y) { return x == y; });
      case BinaryOp::ne: return run([](T x, T y) { return x != y; });
      case BinaryOp::lt: return run([](T x, T y) { return x < y; });
      case BinaryOp::le: return run([](T x, T y) { return x <= y; });
      case BinaryOp::gt: return run([](T x, T y) { return x > y; });
      case BinaryOp::ge: return run([](T x, T y) { return x >= y; });
      default: NF_FAIL("binary ", op_name(op), ": not a comparison");
    }
  });
}

}  // namespace

void CpuBackend::fill(Tensor& out, double value) {
  dispatch_all(out.dtype(), "fill", [&](auto tag) {
    using T = decltype(tag);
    const T v = convert<T>(value);
    T* po = ptr<T>(out);
    parallel_runs<1>(out.shape(), strides_of(out), kElementwiseGrain,
                     [&](const Offsets<1>& off, const Offsets<1>& st, int64_t n, int64_t) {
                       T* o = po + off[0];
                       if (st[0] == 1) {
                         for (int64_t i = 0; i < n; ++i) o[i] = v;
                       } else {
                         for (int64_t i = 0; i < n; ++i) o[i * st[0]] = v;
                       }
                     });
  });
}

void CpuBackend::copy(const Tensor& src, Tensor& dst) {
  check_same_shape("copy", src, dst);
  dispatch_all(src.dtype(), "copy", [&](auto i_tag) {
    using I = decltype(i_tag);
    dispatch_all(dst.dtype(), "copy", [&](auto o_tag) {
      using O = decltype(o_tag);
      map1<I, O>(src, dst, [](I v) { return convert<O>(v); });
    });
  });
}

void CpuBackend::unary(UnaryOp op, const Tensor& x, Tensor& out, double alpha) {
  check_same_shape(op_name(op), x, out);
  dispatch_floating(x.dtype(), op_name(op), [&](auto tag) {
    using T = decltype(tag);
    if (is_mask_op(op)) unary_mask<T>(op, x, out, alpha);
    else unary_same_dtype<T>(op, x, out, alpha);
  });
}

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  check_same_shape(op_name(op), a, out);
  check_same_shape(op_name(op), b, out);
  NF_CHECK(a.dtype() == b.dtype(), "binary ", op_name(op), ": dtype mismatch ", dtype_name(a.dtype()),
           " and ", dtype_name(b.dtype()));
  auto typed = [&](auto tag) {
    using T = decltype(tag);
    if (is_comparison(op)) binary_compare<T>(op, a, b, out);
    else binary_arith<T>(op, a, b, out);
  };
  switch (a.dtype()) {
    case DType::f32: return typed(float{});
    case DType::f64: return typed(double{});
    case DType::i64: return typed(int64_t{});
    default: NF_FAIL("binary ", op_name(op), ": unsupported dtype ", dtype_name(a.dtype()));
  }
}

void CpuBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) {
  check_same_shape("where", cond, out);
  check_same_shape("where", a, out);
  check_same_shape("where", b, out);
  NF_CHECK(cond.dtype() == DType::boolean || cond.dtype() == DType::u8,
           "where: condition must be bool or u8, got ", dtype_name(cond.dtype()));
  NF_CHECK(a.dtype() == out.dtype() && b.dtype() == out.dtype(), "where: dtypes ",
           dtype_name(a.dtype()), ", ", dtype_name(b.dtype()), " -> ", dtype_name(out.dtype()),
           " must agree");
  // bool and u8 are both one byte holding 0 or nonzero: read the condition as bytes.
  const uint8_t* pc = ptr<const uint8_t>(cond);
  dispatch_all(out.dtype(), "where", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = ptr<const T>(a);
    const T* pb = ptr<const T>(b);
    T* po = ptr<T>(out);
    parallel_runs<4>(out.shape(), strides_of(out, cond, a, b), kElementwiseGrain,
                     [&](const Offsets<4>& off, const Offsets<4>& st, int64_t n, int64_t) {
                       T* o = po + off[0];
                       const uint8_t* c = pc + off[1];
                       const T* x = pa + off[2];
                       const T* y = pb + off[3];
                       if (st[0] == 1 && st[1] == 1 && st[2] == 1 && st[3] == 1) {
                         for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? x[i] : y[i];
                       } else {
                         for (int64_t i = 0; i < n; ++i)
                           o[i * st[0]] = c[i * st[1]] ? x[i * st[2]] : y[i * st[3]];
                       }
                     });
  });
}

}  // namespace nf::cpu
