// CPU reductions (sum, mean, max, min, argmax) against the naive reference
// over many dim sets, odd shapes and non-contiguous layouts; the split path
// for tiny outputs; thread-count determinism; accuracy of f32 sums.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <random>
#include <string>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/reference.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

using namespace nf;

namespace {

Tensor host_random(const Shape& shape, DType dt, double lo, double hi, uint64_t seed,
                   bool integers = false) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(size_t(shape_numel(shape)));
  for (double& x : v) x = integers ? std::floor(dist(rng)) : dist(rng);
  if (dt == DType::f32) return from_vector(std::vector<float>(v.begin(), v.end()), shape);
  if (dt == DType::i64) return from_vector(std::vector<int64_t>(v.begin(), v.end()), shape);
  return from_vector(v, shape);
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

void expect_close(const Tensor& got, const Tensor& want, double rtol, double atol) {
  ASSERT_EQ(got.shape(), want.shape());
  ASSERT_EQ(got.dtype(), want.dtype());
  std::vector<double> gv = values(got), wv = values(want);
  for (size_t i = 0; i < gv.size(); ++i) {
    double g = gv[i], w = wv[i];
    if ((std::isnan(w) && std::isnan(g)) || g == w) continue;
    if (std::abs(g - w) <= atol + rtol * std::abs(w)) continue;
    ADD_FAILURE() << "element " << i << ": got " << g << ", want " << w;
    return;
  }
}

enum class Layout { contiguous, transposed, stepped, broadcast };
const char* layout_name(Layout l) {
  static const char* names[] = {"contiguous", "transposed", "stepped", "broadcast"};
  return names[int(l)];
}
constexpr Layout kLayouts[] = {Layout::contiguous, Layout::transposed, Layout::stepped,
                               Layout::broadcast};

Tensor make_input(const Shape& shape, Layout layout, DType dt, uint64_t seed, bool integers) {
  const int64_t nd = int64_t(shape.size());
  const double lo = -4, hi = 4;
  if (layout == Layout::transposed && nd >= 2) {
    Shape base = shape;
    std::swap(base[0], base[nd - 1]);
    return raw::transpose(host_random(base, dt, lo, hi, seed, integers), 0, -1);
  }
  if ((layout == Layout::stepped || layout == Layout::transposed) && nd >= 1) {
    Shape base = shape;
    base[nd - 1] = 3 * shape[nd - 1] + 2;
    return raw::slice(host_random(base, dt, lo, hi, seed, integers), -1, 2, base[nd - 1], 3);
  }
  if (layout == Layout::broadcast && nd >= 2) {
    Shape base = shape;
    base[1] = 1;
    return raw::expand(host_random(base, dt, lo, hi, seed, integers), shape);
  }
  return host_random(shape, dt, lo, hi, seed, integers);
}

struct Case {
  Shape shape;
  std::vector<std::vector<int64_t>> dim_sets;
};

// Every dim set of small ranks; inner, outer and middle reductions of large
// shapes (parallel over outputs), and long reductions to tiny outputs (split path).
const std::vector<Case> kCases = {
    {{}, {{}}},
    {{1}, {{0}}},
    {{7}, {{0}}},
    {{3, 7, 17}, {{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {0, 1, 2}}},
    {{2, 1, 5, 3}, {{1}, {0, 3}, {1, 2}, {0, 1, 2, 3}, {-1}}},
    {{5, 17, 33}, {{0, 2}, {1}}},
    {{67, 1031}, {{0}, {1}, {0, 1}}},
    {{100003}, {{0}}},
    {{40001, 3}, {{0}, {1}}},
    {{3, 40001}, {{1}, {0}}},
    {{0, 4}, {{0}, {1}}},
};

std::string trace(ReduceOp op, DType dt, const Shape& s, const std::vector<int64_t>& dims,
                  Layout l) {
  std::string d;
  for (int64_t x : dims) d += std::to_string(x) + " ";
  return "op " + std::to_string(int(op)) + " " + dtype_name(dt) + " " + shape_str(s) + " dims {" +
         d + "} " + layout_name(l);
}

cpu::CpuBackend& be() { return cpu::cpu_backend(); }

Shape keepdim_shape(const Shape& s, const std::vector<int64_t>& dims) {
  Shape out = s;
  if (dims.empty()) std::fill(out.begin(), out.end(), 1);
  for (int64_t d : dims) out[size_t(normalize_dim(d, int64_t(s.size()), "test"))] = 1;
  return out;
}

}  // namespace

TEST(CpuReduce, SumMeanMaxMinMatchReference) {
  for (DType dt : {DType::f32, DType::f64})
    for (ReduceOp op : {ReduceOp::sum, ReduceOp::mean, ReduceOp::max, ReduceOp::min})
      for (const Case& c : kCases)
        for (const auto& dims : c.dim_sets)
          for (Layout layout : kLayouts) {
            bool empty_extreme = shape_numel(c.shape) == 0 &&
                                 (op == ReduceOp::max || op == ReduceOp::min);
            if (empty_extreme) continue;
            SCOPED_TRACE(trace(op, dt, c.shape, dims, layout));
            Tensor x = make_input(c.shape, layout, dt, 17, false);
            Tensor got = raw::reduce(op, x, dims, true);
            Tensor want = Tensor::empty(keepdim_shape(c.shape, dims), {dt});
            cpu::ref::reduce(op, x, dims, want);
            // Summation order differs from the reference's: allow a few ulps per 1e5 terms.
            double rtol = dt == DType::f32 ? 1e-6 : 1e-10;
            expect_close(got, want, rtol, rtol);
          }
}

TEST(CpuReduce, ArgmaxFirstIndexOnTies) {
  for (DType dt : {DType::f32, DType::f64, DType::i64})
    for (const Case& c : kCases)
      for (int64_t dim = 0; dim < int64_t(c.shape.size()); ++dim)
        for (Layout layout : kLayouts) {
          if (c.shape[size_t(dim)] == 0) continue;
          SCOPED_TRACE(trace(ReduceOp::argmax, dt, c.shape, {dim}, layout));
          Tensor x = make_input(c.shape, layout, dt, 5, true);  // integers in [-4,4): many ties
          Tensor got = raw::argmax(x, dim, true);
          Tensor want = Tensor::empty(keepdim_shape(c.shape, {dim}), {DType::i64});
          cpu::ref::reduce(ReduceOp::argmax, x, {dim}, want);
          expect_close(got, want, 0, 0);
        }
}

TEST(CpuReduce, HandComputedValues) {
  Tensor x = from_vector(std::vector<float>{1, 5, 2, 5, -1, 0}, {2, 3});
  EXPECT_EQ(raw::sum(x, {1}).to_vector<float>(), (std::vector<float>{8, 4}));
  EXPECT_EQ(raw::sum(x, {0}).to_vector<float>(), (std::vector<float>{6, 4, 2}));
  EXPECT_EQ(raw::mean(x, {}).item(), 2.0);
  EXPECT_EQ(raw::max(x, {0}).to_vector<float>(), (std::vector<float>{5, 5, 2}));
  EXPECT_EQ(raw::reduce(ReduceOp::min, x, {1}, false).to_vector<float>(),
            (std::vector<float>{1, -1}));
  EXPECT_EQ(raw::argmax(x, 1).to_vector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(raw::argmax(x, 0).to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0}));
}

TEST(CpuReduce, IntegerSumMaxMin) {
  Tensor x = host_random({333, 201}, DType::i64, -50, 50, 3, true);
  for (ReduceOp op : {ReduceOp::sum, ReduceOp::max, ReduceOp::min})
    for (std::vector<int64_t> dims : {std::vector<int64_t>{0}, {1}, {0, 1}}) {
      SCOPED_TRACE(trace(op, DType::i64, x.shape(), dims, Layout::contiguous));
      Tensor got = Tensor::empty(keepdim_shape(x.shape(), dims), {DType::i64});
      be().reduce(op, raw::transpose(raw::transpose(x, 0, 1), 0, 1), dims, got);
      Tensor want = Tensor::empty(got.shape(), {DType::i64});
      cpu::ref::reduce(op, x, dims, want);
      expect_close(got, want, 0, 0);
    }
}

TEST(CpuReduce, NanPropagatesThroughMaxMinAndArgmaxPicksFirstNan) {
  for (Shape shape : {Shape{5, 7}, Shape{5, 70001}}) {  // serial and split paths
    SCOPED_TRACE(shape_str(shape));
    Tensor x = host_random(shape, DType::f64, -1, 1, 2);
    double* p = x.data<double>();
    p[shape[1] + 3] = NAN;      // row 1, col 3
    p[shape[1] + 5] = NAN;      // row 1, col 5
    p[3 * shape[1] + 6] = 1e9;  // row 3 max at col 6
    auto mx = raw::max(x, {1}).to_vector<double>();
    EXPECT_TRUE(std::isnan(mx[1]));
    EXPECT_FALSE(std::isnan(mx[0]));
    EXPECT_EQ(mx[3], 1e9);
    EXPECT_TRUE(std::isnan(raw::reduce(ReduceOp::min, x, {}, false).item()));
    auto am = raw::argmax(x, 1).to_vector<int64_t>();
    EXPECT_EQ(am[1], 3);
    EXPECT_EQ(am[3], 6);
  }
}

TEST(CpuReduce, EmptyReductionsAndErrors) {
  Tensor x = Tensor::empty({0, 4});
  Tensor s = Tensor::empty({1, 4});
  be().reduce(ReduceOp::sum, x, {0}, s);
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>(4, 0.0f)));
  be().reduce(ReduceOp::mean, x, {0}, s);
  EXPECT_TRUE(std::isnan(s.to_vector<float>()[0]));
  try {
    be().reduce(ReduceOp::max, x, {0}, s);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("max"), std::string::npos) << e.what();
  }
  Tensor y = Tensor::empty({3, 4});
  Tensor wrong = Tensor::empty({3, 4});
  EXPECT_THROW(be().reduce(ReduceOp::sum, y, {1}, wrong), Error);
  Tensor as_f32 = Tensor::empty({3, 1});
  EXPECT_THROW(be().reduce(ReduceOp::argmax, y, {1}, as_f32), Error);
}

TEST(CpuReduce, SameBitsForOneAndTwoThreads) {
  const std::vector<std::pair<Shape, std::vector<int64_t>>> cases = {
      {{300007}, {0}}, {{67, 1031}, {0}}, {{67, 1031}, {1}}, {{60001, 3}, {0}}, {{3, 60001}, {1}}};
  int saved = omp_get_max_threads();
  for (const auto& [shape, dims] : cases) {
    SCOPED_TRACE(shape_str(shape));
    Tensor x = host_random(shape, DType::f32, -1, 1, 6);
    omp_set_num_threads(1);
    auto one = raw::sum(x, dims).to_vector<float>();
    omp_set_num_threads(2);
    auto two = raw::sum(x, dims).to_vector<float>();
    EXPECT_EQ(one, two);
  }
  omp_set_num_threads(saved);
}

TEST(CpuReduce, FloatSumsAccumulateInDouble) {
  // 1e8, a million ones, -1e8: a float accumulator loses every one.
  const int64_t n = 1000002;
  std::vector<float> v(size_t(n), 1.0f);
  v.front() = 1e8f;
  v.back() = -1e8f;
  Tensor x = from_vector(v, {n});
  EXPECT_EQ(raw::sum(x).item(), 1e6);
  EXPECT_EQ(raw::mean(raw::reshape(x, {2, 500001}), {0, 1}).item(), float(1e6 / double(n)));
  // A million 0.1f: the result is the float nearest the exact sum.
  Tensor y = full({1000003}, 0.1);
  EXPECT_NEAR(raw::sum(y).item(), 1000003 * double(0.1f), 0.008);
}
