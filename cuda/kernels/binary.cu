// Binary elementwise ops (every BinaryOp) and where, with the CPU backend's
// semantics (tensor/cpu/elementwise.cpp): maximum/minimum propagate a NaN in
// either operand, comparisons write 1/0 in bool, u8 or the inputs' dtype,
// integer inputs (i64) have no div/pow.
#include <type_traits>

#include "cuda/kernels/binary.h"
#include "cuda/kernels/elementwise.cuh"
#include "cuda/kernels/math.cuh"

namespace nf::cuda {

namespace {

template <typename T, BinaryOp kOp>
struct ArithFn {
  __device__ __forceinline__ T operator()(T x, T y) const {
    if constexpr (kOp == BinaryOp::add) return T(x + y);
    else if constexpr (kOp == BinaryOp::sub) return T(x - y);
    else if constexpr (kOp == BinaryOp::mul) return T(x * y);
    else if constexpr (kOp == BinaryOp::div) return x / y;
    else if constexpr (kOp == BinaryOp::pow) return T(dev_pow(x, y));
    // x != x only for NaN: a NaN in x is kept, a NaN in y fails x > y and is picked.
    else if constexpr (kOp == BinaryOp::maximum) return x != x ? x : (x > y ? x : y);
    else if constexpr (kOp == BinaryOp::minimum) return x != x ? x : (x < y ? x : y);
    else static_assert(kOp == BinaryOp::add, "not an arithmetic op");
  }
};

template <typename T, typename O, BinaryOp kOp>
struct CompareFn {
  __device__ __forceinline__ O operator()(T x, T y) const {
    if constexpr (kOp == BinaryOp::eq) return O(x == y);
    else if constexpr (kOp == BinaryOp::ne) return O(x != y);
    else if constexpr (kOp == BinaryOp::lt) return O(x < y);
    else if constexpr (kOp == BinaryOp::le) return O(x <= y);
    else if constexpr (kOp == BinaryOp::gt) return O(x > y);
    else if constexpr (kOp == BinaryOp::ge) return O(x >= y);
    else static_assert(kOp == BinaryOp::eq, "not a comparison");
  }
};

template <typename T>
struct WhereFn {
  __device__ __forceinline__ T operator()(uint8_t c, T x, T y) const { return c ? x : y; }
};

template <BinaryOp kOp>
using OpTag = std::integral_constant<BinaryOp, kOp>;

template <typename T>
void binary_arith(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out,
                  int64_t n, const Launch& l) {
  auto run = [&](auto tag) {
    launch_map2<T, T, T>(ArithFn<T, decltype(tag)::value>{}, out, a, b, n, l);
  };
  constexpr bool floating = std::is_floating_point_v<T>;
  switch (op) {
    case BinaryOp::add: return run(OpTag<BinaryOp::add>{});
    case BinaryOp::sub: return run(OpTag<BinaryOp::sub>{});
    case BinaryOp::mul: return run(OpTag<BinaryOp::mul>{});
    case BinaryOp::div:
      if constexpr (floating) return run(OpTag<BinaryOp::div>{});
      break;
    case BinaryOp::pow:
      if constexpr (floating) return run(OpTag<BinaryOp::pow>{});
      break;
    case BinaryOp::maximum: return run(OpTag<BinaryOp::maximum>{});
    case BinaryOp::minimum: return run(OpTag<BinaryOp::minimum>{});
    default: break;
  }
  NF_FAIL("cuda binary: op ", int(op), " unsupported for dtype ", dtype_name(a.dtype));
}

template <typename T>
void binary_compare(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out,
                    int64_t n, const Launch& l) {
  auto typed = [&](auto o_tag) {
    using O = decltype(o_tag);
    auto run = [&](auto tag) {
      launch_map2<O, T, T>(CompareFn<T, O, decltype(tag)::value>{}, out, a, b, n, l);
    };
    switch (op) {
      case BinaryOp::eq: return run(OpTag<BinaryOp::eq>{});
      case BinaryOp::ne: return run(OpTag<BinaryOp::ne>{});
      case BinaryOp::lt: return run(OpTag<BinaryOp::lt>{});
      case BinaryOp::le: return run(OpTag<BinaryOp::le>{});
      case BinaryOp::gt: return run(OpTag<BinaryOp::gt>{});
      case BinaryOp::ge: return run(OpTag<BinaryOp::ge>{});
      default: NF_FAIL("cuda binary: op ", int(op), " is not a comparison");
    }
  };
  // Only bool, u8 and T are valid outputs (checked by the host side).
  if (out.dtype == DType::boolean) return typed(bool{});
  if (out.dtype == DType::u8) return typed(uint8_t{});
  NF_CHECK(out.dtype == a.dtype, "cuda binary: comparison output dtype ",
           dtype_name(out.dtype), " must be bool, u8 or ", dtype_name(a.dtype));
  typed(T{});
}

}  // namespace

void binary(BinaryOp op, const TensorArg& a, const TensorArg& b, const TensorArg& out, int64_t n,
            const Launch& l) {
  if (n == 0) return;
  auto typed = [&](auto tag) {
    using T = decltype(tag);
    if (op >= BinaryOp::eq) binary_compare<T>(op, a, b, out, n, l);
    else binary_arith<T>(op, a, b, out, n, l);
  };
  switch (a.dtype) {
    case DType::f32: return typed(float{});
    case DType::f64: return typed(double{});
    case DType::i64: return typed(int64_t{});
    default: NF_FAIL("cuda binary: unsupported dtype ", dtype_name(a.dtype));
  }
}

void where(const TensorArg& cond, const TensorArg& a, const TensorArg& b, const TensorArg& out,
           int64_t n, const Launch& l) {
  if (n == 0) return;
  dispatch_all(out.dtype, "cuda where", [&](auto tag) {
    using T = decltype(tag);
    launch_map3<T, uint8_t, T, T>(WhereFn<T>{}, out, cond, a, b, n, l);
  });
}

}  // namespace nf::cuda
