// CPU elementwise kernels (fill, copy/cast, unary, binary, where) against the
// naive reference on odd shapes and non-contiguous layouts, plus the Philox
// random fill (thread-count independence and moments).
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/parallel.h"
#include "tensor/cpu/reference.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

using namespace nf;

namespace {

// --- helpers independent of the kernels under test --------------------------------

// Host-drawn values in [lo, hi) (rounded to integers when `integers`), in dtype dt.
Tensor host_random(const Shape& shape, DType dt, double lo, double hi, uint64_t seed,
                   bool integers = false) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(size_t(shape_numel(shape)));
  for (double& x : v) x = integers ? std::floor(dist(rng)) : dist(rng);
  switch (dt) {
    case DType::f32: return from_vector(std::vector<float>(v.begin(), v.end()), shape);
    case DType::f64: return from_vector(v, shape);
    case DType::i64: return from_vector(std::vector<int64_t>(v.begin(), v.end()), shape);
    case DType::u8: return from_vector(std::vector<uint8_t>(v.begin(), v.end()), shape);
    case DType::boolean: {
      std::vector<bool> b(v.size());
      for (size_t i = 0; i < v.size(); ++i) b[i] = v[i] != 0;
      return from_vector(b, shape);
    }
  }
  return {};
}

// Element at row-major position `flat`, read through the strides.
double get(const Tensor& t, int64_t flat) {
  int64_t off = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (flat % t.size(d)) * t.stride(d);
    flat /= t.size(d);
  }
  return dispatch_all(t.dtype(), "get", [&](auto tag) {
    using T = decltype(tag);
    return double(static_cast<const T*>(t.raw_data())[off]);
  });
}

// All elements in row-major order, read through the strides.
std::vector<double> values(const Tensor& t) {
  std::vector<double> out;
  out.reserve(size_t(t.numel()));
  if (t.numel() == 0) return out;
  dispatch_all(t.dtype(), "values", [&](auto tag) {
    using T = decltype(tag);
    const T* p = static_cast<const T*>(t.raw_data());
    std::vector<int64_t> idx(size_t(t.dim()), 0);
    int64_t off = 0;
    for (int64_t n = 0; n < t.numel(); ++n) {
      out.push_back(double(p[off]));
      for (int64_t d = t.dim() - 1; d >= 0; --d) {
        off += t.stride(d);
        if (++idx[size_t(d)] < t.size(d)) break;
        off -= t.size(d) * t.stride(d);
        idx[size_t(d)] = 0;
      }
    }
  });
  return out;
}

// Compares every element; reports the first mismatch only.
void expect_close(const Tensor& got, const Tensor& want, double rtol, double atol) {
  ASSERT_EQ(got.shape(), want.shape());
  std::vector<double> gv = values(got), wv = values(want);
  for (size_t i = 0; i < gv.size(); ++i) {
    double g = gv[i], w = wv[i];
    if (std::isnan(w) && std::isnan(g)) continue;
    if (g == w) continue;
    if (std::abs(g - w) <= atol + rtol * std::abs(w)) continue;
    ADD_FAILURE() << "element " << i << ": got " << g << ", want " << w;
    return;
  }
}

double rtol_of(DType dt) { return dt == DType::f32 ? 2e-6 : 1e-13; }
double atol_of(DType dt) { return dt == DType::f32 ? 1e-6 : 1e-13; }

enum class Layout { contiguous, transposed, stepped, broadcast };
const char* layout_name(Layout l) {
  static const char* names[] = {"contiguous", "transposed", "stepped", "broadcast"};
  return names[int(l)];
}
constexpr Layout kLayouts[] = {Layout::contiguous, Layout::transposed, Layout::stepped,
                               Layout::broadcast};

// A view with logical shape `shape` and the given memory layout.
Tensor make_input(const Shape& shape, Layout layout, DType dt, double lo, double hi, uint64_t seed,
                  bool integers = false) {
  const int64_t nd = int64_t(shape.size());
  if (layout == Layout::transposed && nd >= 2) {
    Shape base = shape;
    std::swap(base[nd - 1], base[nd - 2]);
    return raw::transpose(host_random(base, dt, lo, hi, seed, integers), -1, -2);
  }
  if ((layout == Layout::stepped || layout == Layout::transposed) && nd >= 1) {
    Shape base = shape;
    base[nd - 1] = 2 * shape[nd - 1] + 1;  // every other element, starting at 1
    return raw::slice(host_random(base, dt, lo, hi, seed, integers), -1, 1, base[nd - 1], 2);
  }
  if (layout == Layout::broadcast && nd >= 1) {
    Shape base = shape;
    base[0] = 1;
    return raw::expand(host_random(base, dt, lo, hi, seed, integers), shape);
  }
  return host_random(shape, dt, lo, hi, seed, integers);
}

std::string trace(const std::string& what, DType dt, const Shape& s, Layout l) {
  return what + " " + dtype_name(dt) + " " + shape_str(s) + " " + layout_name(l);
}

// Odd sizes, a 0-d, an empty and one large enough for the parallel path.
const std::vector<Shape> kShapes = {{}, {1}, {3}, {7, 1}, {17, 33}, {3, 7, 17}, {2, 1, 5, 3},
                                    {0, 5}, {67, 1031}};

// Large enough for several threads (2 x kElementwiseGrain elements).
bool is_large(const Shape& s) { return shape_numel(s) >= 2 * cpu::kElementwiseGrain; }

constexpr UnaryOp kUnaryOps[] = {
    UnaryOp::neg, UnaryOp::exp, UnaryOp::log, UnaryOp::sqrt, UnaryOp::rsqrt,
    UnaryOp::abs, UnaryOp::sign, UnaryOp::tanh, UnaryOp::sigmoid, UnaryOp::relu,
    UnaryOp::square, UnaryOp::pow_scalar, UnaryOp::add_scalar, UnaryOp::mul_scalar,
    UnaryOp::rsub_scalar, UnaryOp::gt_scalar, UnaryOp::relu_grad_mask, UnaryOp::clamp_min,
    UnaryOp::clamp_max, UnaryOp::is_nonfinite};

bool needs_positive(UnaryOp op) {
  return op == UnaryOp::log || op == UnaryOp::sqrt || op == UnaryOp::rsqrt ||
         op == UnaryOp::pow_scalar;
}

bool uses_alpha(UnaryOp op) {
  return op == UnaryOp::pow_scalar || op == UnaryOp::add_scalar || op == UnaryOp::mul_scalar ||
         op == UnaryOp::rsub_scalar || op == UnaryOp::gt_scalar || op == UnaryOp::clamp_min ||
         op == UnaryOp::clamp_max;
}

constexpr BinaryOp kBinaryOps[] = {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div,
                                   BinaryOp::pow, BinaryOp::maximum, BinaryOp::minimum,
                                   BinaryOp::eq, BinaryOp::ne, BinaryOp::lt, BinaryOp::le,
                                   BinaryOp::gt, BinaryOp::ge};

bool is_comparison(BinaryOp op) { return op >= BinaryOp::eq; }

cpu::CpuBackend& be() { return cpu::cpu_backend(); }

}  // namespace

// --- unary ------------------------------------------------------------------------------

TEST(CpuUnary, EveryOpMatchesReference) {
  for (DType dt : {DType::f32, DType::f64})
    for (UnaryOp op : kUnaryOps)
      for (const Shape& shape : kShapes)
        for (Layout layout : kLayouts) {
          SCOPED_TRACE(trace("unary op " + std::to_string(int(op)), dt, shape, layout));
          double lo = needs_positive(op) ? 0.1 : -3.0;
          Tensor x = make_input(shape, layout, dt, lo, 3.0, 11 + int(op));
          std::vector<double> alphas = uses_alpha(op) ? std::vector<double>{0.5, 2.0, -1.25}
                                                      : std::vector<double>{0.0};
          for (double alpha : alphas) {
            if (is_large(shape) && alpha != alphas[0]) continue;  // keep the test quick
            Tensor got = raw::unary(op, x, alpha);
            Tensor want = Tensor::empty(shape, {dt});
            cpu::ref::unary(op, x, want, alpha);
            expect_close(got, want, rtol_of(dt), atol_of(dt));
          }
        }
}

TEST(CpuUnary, StridedOutputMatchesReference) {
  for (DType dt : {DType::f32, DType::f64})
    for (UnaryOp op : kUnaryOps) {
      SCOPED_TRACE(std::string("op ") + std::to_string(int(op)) + " " + dtype_name(dt));
      Tensor x = make_input({33, 17}, Layout::stepped, dt, 0.2, 2.0, 5);
      Tensor out = raw::transpose(Tensor::empty({17, 33}, {dt}), 0, 1);  // [33,17], strided
      be().unary(op, x, out, 1.5);
      Tensor want = Tensor::empty({33, 17}, {dt});
      cpu::ref::unary(op, x, want, 1.5);
      expect_close(out, want, rtol_of(dt), atol_of(dt));
    }
}

TEST(CpuUnary, MaskOpsWriteOneZeroInAnyOutputDtype) {
  Tensor x = from_vector(std::vector<double>{-1.0, 0.0, 0.5, 2.0, NAN, INFINITY, -INFINITY},
                         {7});
  struct Case {
    UnaryOp op;
    double alpha;
    std::vector<double> want;
  };
  std::vector<Case> cases = {{UnaryOp::gt_scalar, 0.5, {0, 0, 0, 1, 0, 1, 0}},
                             {UnaryOp::relu_grad_mask, 0, {0, 0, 1, 1, 0, 1, 0}},
                             {UnaryOp::is_nonfinite, 0, {0, 0, 0, 0, 1, 1, 1}}};
  for (const Case& c : cases)
    for (DType od : {DType::boolean, DType::u8, DType::f32, DType::f64, DType::i64}) {
      SCOPED_TRACE(std::string("op ") + std::to_string(int(c.op)) + " -> " + dtype_name(od));
      Tensor out = Tensor::empty({7}, {od});
      be().unary(c.op, x, out, c.alpha);
      for (int64_t i = 0; i < 7; ++i) EXPECT_EQ(get(out, i), c.want[size_t(i)]) << "at " << i;
    }
}

TEST(CpuUnary, NanPropagatesAndSpecialValues) {
  Tensor x = from_vector(std::vector<float>{NAN, -2.0f, 0.0f, 3.0f, -1000.0f, 1000.0f}, {6});
  auto v = [](const Tensor& t) { return t.to_vector<double>(); };
  auto relu = v(raw::unary(UnaryOp::relu, x));
  EXPECT_TRUE(std::isnan(relu[0]));
  EXPECT_EQ(relu[1], 0.0);
  EXPECT_EQ(relu[3], 3.0);
  auto cmin = v(raw::unary(UnaryOp::clamp_min, x, 0.0));
  EXPECT_TRUE(std::isnan(cmin[0]));
  EXPECT_EQ(cmin[1], 0.0);
  auto sig = v(raw::unary(UnaryOp::sigmoid, x));
  EXPECT_EQ(sig[4], 0.0);  // no NaN from exp overflow
  EXPECT_EQ(sig[5], 1.0);
  auto sign = v(raw::unary(UnaryOp::sign, x));
  EXPECT_TRUE(std::isnan(sign[0]));
  EXPECT_EQ(sign[1], -1.0);
  EXPECT_EQ(sign[2], 0.0);
  EXPECT_EQ(sign[3], 1.0);
}

TEST(CpuUnary, RejectsIntegerInputAndWrongOutputDtype) {
  Tensor xi = from_vector(std::vector<int64_t>{1, 2}, {2});
  Tensor oi = Tensor::empty({2}, {DType::i64});
  try {
    be().unary(UnaryOp::exp, xi, oi, 0.0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exp"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("i64"), std::string::npos) << e.what();
  }
  Tensor x = from_vector(std::vector<float>{1, 2}, {2});
  Tensor od = Tensor::empty({2}, {DType::f64});
  EXPECT_THROW(be().unary(UnaryOp::neg, x, od, 0.0), Error);
}

// --- binary -----------------------------------------------------------------------------

TEST(CpuBinary, EveryOpMatchesReferenceWithBroadcasting) {
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{}, {}},         {{1}, {1}},           {{17, 33}, {17, 33}}, {{17, 33}, {33}},
      {{17, 1}, {1, 33}}, {{3, 7, 17}, {7, 1}}, {{}, {5, 3}},         {{67, 1031}, {1031}},
      {{67, 1031}, {67, 1}}, {{0, 3}, {3}}};
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (BinaryOp op : kBinaryOps) {
      bool int_ok = op == BinaryOp::add || op == BinaryOp::sub || op == BinaryOp::mul ||
                    op == BinaryOp::maximum || op == BinaryOp::minimum || is_comparison(op);
      if (dt == DType::i64 && !int_ok) continue;
      for (const auto& [sa, sb] : pairs)
        for (Layout layout : kLayouts) {
          if (is_large(sa) && layout == Layout::broadcast) continue;  // keep the test quick
          SCOPED_TRACE(trace("binary op " + std::to_string(int(op)) + " b=" + shape_str(sb), dt,
                             sa, layout));
          // Integer-valued inputs make ties, so eq/le/ge see both outcomes.
          bool integers = is_comparison(op) || dt == DType::i64;
          double alo = op == BinaryOp::pow ? 0.5 : -4.0;
          double blo = op == BinaryOp::div ? 0.5 : (op == BinaryOp::pow ? -2.0 : -4.0);
          Tensor a = make_input(sa, layout, dt, alo, 4.0, 3 + int(op), integers);
          Tensor b = make_input(sb, Layout::transposed, dt, blo, 4.0, 7 + int(op), integers);
          Tensor got = raw::binary(op, a, b);
          Shape out_shape = broadcast_shapes(sa, sb, "test");
          Tensor want = Tensor::empty(out_shape, {got.dtype()});
          cpu::ref::binary(op, raw::expand(a, out_shape), raw::expand(b, out_shape), want);
          expect_close(got, want, rtol_of(dt), atol_of(dt));
        }
    }
}

TEST(CpuBinary, ComparisonsIntoEveryAllowedDtypeAndStridedOutput) {
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (DType od : {DType::boolean, DType::u8, dt})
      for (BinaryOp op : {BinaryOp::eq, BinaryOp::ne, BinaryOp::lt, BinaryOp::le, BinaryOp::gt,
                          BinaryOp::ge}) {
        SCOPED_TRACE(std::string(dtype_name(dt)) + " -> " + dtype_name(od) + " op " +
                     std::to_string(int(op)));
        Tensor a = make_input({9, 13}, Layout::transposed, dt, -2, 2, 1, true);
        Tensor b = make_input({9, 13}, Layout::broadcast, dt, -2, 2, 2, true);
        Tensor out = raw::transpose(Tensor::empty({13, 9}, {od}), 0, 1);
        be().binary(op, a, b, out);
        Tensor want = Tensor::empty({9, 13}, {od});
        cpu::ref::binary(op, a, b, want);
        expect_close(out, want, 0, 0);
      }
}

TEST(CpuBinary, InPlaceAddIntoFirstOperand) {
  Tensor a = host_random({67, 1031}, DType::f32, -1, 1, 1);
  Tensor before = raw::clone(a);
  Tensor b = host_random({1031}, DType::f32, -1, 1, 2);
  raw::add_(a, b, 2.0);
  for (int64_t i : {int64_t(0), int64_t(1030), int64_t(1031), int64_t(67 * 1031 - 1)})
    EXPECT_FLOAT_EQ(float(get(a, i)), float(get(before, i) + 2.0 * get(b, i % 1031)));
}

TEST(CpuBinary, MaximumMinimumPropagateNan) {
  Tensor a = from_vector(std::vector<double>{NAN, 1.0, 2.0}, {3});
  Tensor b = from_vector(std::vector<double>{1.0, NAN, 3.0}, {3});
  for (BinaryOp op : {BinaryOp::maximum, BinaryOp::minimum}) {
    auto r = raw::binary(op, a, b).to_vector<double>();
    EXPECT_TRUE(std::isnan(r[0]));
    EXPECT_TRUE(std::isnan(r[1]));
    EXPECT_EQ(r[2], op == BinaryOp::maximum ? 3.0 : 2.0);
  }
}

TEST(CpuBinary, ErrorsNameTheOp) {
  Tensor a = from_vector(std::vector<int64_t>{1, 2}, {2});
  Tensor out = Tensor::empty({2}, {DType::i64});
  try {
    be().binary(BinaryOp::div, a, a, out);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("div"), std::string::npos) << e.what();
  }
  Tensor f = from_vector(std::vector<float>{1, 2}, {2});
  Tensor d = from_vector(std::vector<double>{1, 2}, {2});
  Tensor of = Tensor::empty({2}, {DType::f32});
  EXPECT_THROW(be().binary(BinaryOp::add, f, d, of), Error);
}

// --- where, fill, copy ---------------------------------------------------------------------

TEST(CpuWhere, SelectsWithBroadcastConditionOfBothMaskDtypes) {
  for (DType cd : {DType::boolean, DType::u8})
    for (DType dt : {DType::f32, DType::f64, DType::i64}) {
      SCOPED_TRACE(std::string(dtype_name(cd)) + " " + dtype_name(dt));
      Tensor cond = host_random({1, 1031}, cd, 0, 2, 3, true);
      Tensor a = make_input({67, 1031}, Layout::transposed, dt, -5, 5, 4, true);
      Tensor b = host_random({67, 1}, dt, -5, 5, 5, true);
      Tensor out = raw::where(cond, a, b);
      ASSERT_EQ(out.shape(), (Shape{67, 1031}));
      for (int64_t i = 0; i < out.numel(); i += 97) {
        int64_t r = i / 1031, c = i % 1031;
        double want = get(cond, c) != 0 ? get(a, i) : get(b, r);
        ASSERT_EQ(get(out, i), want) << "at " << i;
      }
    }
}

TEST(CpuFill, EveryDtypeThroughStridedViewLeavesGapsAlone) {
  const std::vector<std::pair<DType, double>> cases = {
      {DType::f32, 1.5}, {DType::f64, -2.25}, {DType::i64, 7.0}, {DType::u8, 200.0},
      {DType::boolean, 0.5}};
  for (const auto& [dt, value] : cases) {
    SCOPED_TRACE(dtype_name(dt));
    Tensor base = zeros({9, 70001}, {dt});
    Tensor view = raw::slice(raw::transpose(base, 0, 1), 0, 1, 70001, 3);  // [23334, 9] strided
    be().fill(view, value);
    double want = dt == DType::boolean ? 1.0 : value;
    for (int64_t i = 0; i < view.numel(); i += 101) ASSERT_EQ(get(view, i), want) << "at " << i;
    EXPECT_EQ(get(base, 0), 0.0);  // column 0 is not in the slice
    EXPECT_EQ(get(base, 1), want);
    EXPECT_EQ(get(base, 2), 0.0);
  }
}

TEST(CpuCopy, CastsBetweenEveryPairOfDtypes) {
  const DType all[] = {DType::f32, DType::f64, DType::i64, DType::u8, DType::boolean};
  for (DType from : all)
    for (DType to : all) {
      SCOPED_TRACE(std::string(dtype_name(from)) + " -> " + dtype_name(to));
      Tensor src = make_input({13, 7}, Layout::transposed, from, 0, 6, 9, true);  // 0..5
      Tensor dst = Tensor::empty({13, 7}, {to});
      be().copy(src, dst);
      for (int64_t i = 0; i < src.numel(); ++i) {
        double v = get(src, i);
        double want = to == DType::boolean ? (v != 0 ? 1.0 : 0.0) : v;
        ASSERT_EQ(get(dst, i), want) << "at " << i;
      }
    }
}

TEST(CpuCopy, RoundTripsAndRounding) {
  Tensor d = from_vector(std::vector<double>{0.1, -2.75, 3.9, 1e10, -0.0}, {5});
  auto f = raw::cast(d, DType::f32).to_vector<float>();
  EXPECT_EQ(f[0], float(0.1));
  EXPECT_EQ(f[3], float(1e10));
  auto i = raw::cast(d, DType::i64).to_vector<int64_t>();
  EXPECT_EQ(i[1], -2);  // truncation toward zero, as static_cast
  EXPECT_EQ(i[2], 3);
  Tensor back = raw::cast(raw::cast(d, DType::i64), DType::f64);
  EXPECT_EQ(back.to_vector<double>()[3], 1e10);
  Tensor x = host_random({1000}, DType::f32, -100, 100, 4);
  EXPECT_EQ(raw::cast(raw::cast(x, DType::f64), DType::f32).to_vector<float>(),
            x.to_vector<float>());
  Tensor b = raw::cast(from_vector(std::vector<float>{0.0f, -0.5f, NAN, 2.0f}, {4}), DType::boolean);
  EXPECT_EQ(b.to_vector<uint8_t>(), (std::vector<uint8_t>{0, 1, 1, 1}));
}

TEST(CpuCopy, StridedSourcesAndDestinations) {
  for (Layout layout : kLayouts) {
    SCOPED_TRACE(layout_name(layout));
    Tensor src = make_input({67, 1031}, layout, DType::f32, -1, 1, 8);
    Tensor dst = raw::transpose(Tensor::empty({1031, 67}, {DType::f64}), 0, 1);
    be().copy(src, dst);
    for (int64_t i = 0; i < src.numel(); i += 13) ASSERT_EQ(get(dst, i), get(src, i)) << i;
    Tensor c = raw::contiguous(src);
    EXPECT_TRUE(c.is_contiguous());
    for (int64_t i = 0; i < src.numel(); i += 13) ASSERT_EQ(get(c, i), get(src, i)) << i;
  }
}

TEST(CpuCopy, PermutedBlocksWithRaggedEdges) {
  // Transposing layouts are walked in 32x32 blocks: sizes that are not
  // multiples of 32, an outer dim, and a large case for the parallel path.
  for (Shape shape : {Shape{3, 70, 45}, Shape{2, 33, 65}, Shape{5, 300, 301}}) {
    Tensor x = host_random(shape, DType::f64, -1, 1, 12);
    for (const std::vector<int64_t>& perm : {std::vector<int64_t>{0, 2, 1}, {2, 1, 0}, {1, 2, 0}}) {
      SCOPED_TRACE(shape_str(shape) + " perm " + std::to_string(perm[0]) + std::to_string(perm[1]) +
                   std::to_string(perm[2]));
      Tensor src = raw::permute(x, perm);
      Tensor dst = Tensor::empty(src.shape(), {DType::f32});
      be().copy(src, dst);
      std::vector<double> sv = values(src), dv = values(dst);
      for (size_t i = 0; i < sv.size(); ++i) ASSERT_EQ(dv[i], double(float(sv[i]))) << "at " << i;
    }
  }
}

// --- random ----------------------------------------------------------------------------------

namespace {
// Draws with a fixed OpenMP thread count.
Tensor draw(RandomKind kind, const Shape& shape, DType dt, double a, double b, int threads,
            uint64_t offset = 0) {
  int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  Tensor t = Tensor::empty(shape, {dt});
  be().random(kind, t, 1234, offset, a, b);
  omp_set_num_threads(saved);
  return t;
}

std::pair<double, double> mean_std(const std::vector<double>& v) {
  double m = 0, s = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  for (double x : v) s += (x - m) * (x - m);
  return {m, std::sqrt(s / double(v.size() - 1))};
}
}  // namespace

TEST(CpuRandom, SameValuesForOneAndTwoThreads) {
  for (RandomKind kind : {RandomKind::uniform, RandomKind::normal, RandomKind::bernoulli})
    for (DType dt : {DType::f32, DType::f64}) {
      SCOPED_TRACE(std::to_string(int(kind)) + " " + dtype_name(dt));
      double a = kind == RandomKind::bernoulli ? 0.3 : -1.0, b = 2.0;
      Tensor one = draw(kind, {300, 333}, dt, a, b, 1);
      Tensor two = draw(kind, {300, 333}, dt, a, b, 2);
      ASSERT_EQ(one.to_vector<double>(), two.to_vector<double>());
    }
}

TEST(CpuRandom, ElementUsesCounterOffsetPlusPosition) {
  auto whole = draw(RandomKind::uniform, {100}, DType::f64, 0, 1, 1).to_vector<double>();
  auto tail = draw(RandomKind::uniform, {60}, DType::f64, 0, 1, 1, 40).to_vector<double>();
  for (int i = 0; i < 60; ++i) ASSERT_EQ(tail[size_t(i)], whole[size_t(i) + 40]);
  EXPECT_EQ(whole[7], philox_uniform(1234, 7));
  // A strided output (walked in blocks) is filled in logical row-major order.
  auto flat = draw(RandomKind::uniform, {45, 70}, DType::f64, 0, 1, 1).to_vector<double>();
  Tensor t = raw::transpose(Tensor::empty({70, 45}, {DType::f64}), 0, 1);
  be().random(RandomKind::uniform, t, 1234, 0, 0, 1);
  EXPECT_EQ(t.to_vector<double>(), flat);
}

TEST(CpuRandom, NormalMomentsMatchRequested) {
  for (DType dt : {DType::f32, DType::f64}) {
    SCOPED_TRACE(dtype_name(dt));
    auto v = draw(RandomKind::normal, {100000}, dt, 3.0, 2.0, 2).to_vector<double>();
    auto [m, s] = mean_std(v);
    EXPECT_NEAR(m, 3.0, 0.03);  // standard error 2/sqrt(1e5) = 0.0063
    EXPECT_NEAR(s, 2.0, 0.03);
  }
}

TEST(CpuRandom, UniformRangeAndBernoulliRate) {
  for (DType dt : {DType::f32, DType::f64}) {
    SCOPED_TRACE(dtype_name(dt));
    auto u = draw(RandomKind::uniform, {100000}, dt, -1.0, 3.0, 2).to_vector<double>();
    for (double x : u) ASSERT_TRUE(x >= -1.0 && x < 3.0) << x;
    auto [m, s] = mean_std(u);
    EXPECT_NEAR(m, 1.0, 0.03);
    EXPECT_NEAR(s, 4.0 / std::sqrt(12.0), 0.03);
    auto bern = draw(RandomKind::bernoulli, {100000}, dt, 0.3, 0, 2).to_vector<double>();
    double ones = 0;
    for (double x : bern) {
      ASSERT_TRUE(x == 0.0 || x == 1.0);
      ones += x;
    }
    EXPECT_NEAR(ones / 1e5, 0.3, 0.01);
  }
  Tensor mask = Tensor::empty({1000}, {DType::boolean});
  be().random(RandomKind::bernoulli, mask, 5, 0, 0.5, 0);
  auto mv = mask.to_vector<uint8_t>();
  int64_t count = 0;
  for (uint8_t x : mv) count += x;
  EXPECT_GT(count, 400);
  EXPECT_LT(count, 600);
}
