// CPU index_select / index_add / gather / scatter_add: hand-computed values,
// large strided cases against host loops, duplicate indices accumulated
// without races, and out-of-range errors that name the op, position and value.
#include <gtest/gtest.h>
#include <omp.h>

#include <random>
#include <string>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

using namespace nf;

namespace {

cpu::CpuBackend& be() { return cpu::cpu_backend(); }

// Integer values in [lo, hi) so that sums are exact in every dtype.
template <typename T>
Tensor host_ints(const Shape& shape, int64_t lo, int64_t hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> dist(lo, hi - 1);
  std::vector<T> v(size_t(shape_numel(shape)));
  for (T& x : v) x = T(dist(rng));
  return from_vector(v, shape);
}

// Element at a 2-D position, read through the strides.
template <typename T>
T at2(const Tensor& t, int64_t i, int64_t j) {
  return t.data<T>()[i * t.stride(0) + j * t.stride(1)];
}

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

void expect_mentions(const std::string& msg, std::initializer_list<const char*> parts) {
  for (const char* p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
}

}  // namespace

TEST(CpuIndex, HandComputedValues) {
  Tensor x = from_vector(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  Tensor rows = from_vector(std::vector<int64_t>{2, 0, 2}, {3});
  EXPECT_EQ(raw::index_select(x, 0, rows).to_vector<float>(),
            (std::vector<float>{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11}));
  Tensor cols = from_vector(std::vector<int64_t>{3, 1}, {2});
  EXPECT_EQ(raw::index_select(x, 1, cols).to_vector<float>(), (std::vector<float>{3, 1, 7, 5, 11, 9}));

  Tensor out = zeros({3, 2});
  Tensor src = from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2});
  raw::index_add_(out, 0, from_vector(std::vector<int64_t>{0, 2, 0}, {3}), src);
  EXPECT_EQ(out.to_vector<float>(), (std::vector<float>{6, 8, 0, 0, 3, 4}));

  Tensor g = from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2});
  Tensor gi = from_vector(std::vector<int64_t>{0, 0, 1, 0}, {2, 2});
  EXPECT_EQ(raw::gather(g, 1, gi).to_vector<double>(), (std::vector<double>{1, 1, 4, 3}));
  EXPECT_EQ(raw::gather(g, 0, gi).to_vector<double>(), (std::vector<double>{1, 2, 3, 2}));

  Tensor s = zeros({2, 3}, {DType::i64});
  Tensor si = from_vector(std::vector<int64_t>{0, 1, 0, 2, 2, 1}, {2, 3});
  Tensor ss = from_vector(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  raw::scatter_add_(s, 1, si, ss);
  EXPECT_EQ(s.to_vector<int64_t>(), (std::vector<int64_t>{4, 2, 0, 0, 6, 9}));
}

TEST(CpuIndex, IndexSelectStridedInputsAgainstLoop) {
  Tensor base = host_ints<float>({1031, 67}, -100, 100, 1);
  Tensor x = raw::transpose(base, 0, 1);  // [67, 1031], non-contiguous
  Tensor idx_long = host_ints<int64_t>({1200}, 0, 67, 2);
  Tensor idx = raw::slice(idx_long, 0, 0, 1200, 2);  // 600 indices, stride 2
  for (int64_t dim : {0, 1}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    Tensor index = dim == 0 ? idx : raw::mul_scalar(raw::cast(idx, DType::f64), 15.0);
    if (dim == 1) index = raw::cast(index, DType::i64);  // values in [0, 1031)
    Shape shape = x.shape();
    shape[size_t(dim)] = 600;
    Tensor out = Tensor::empty(shape);
    be().index_select(x, dim, index, out);
    auto iv = index.to_vector<int64_t>();
    for (int64_t i = 0; i < shape[0]; ++i)
      for (int64_t j = 0; j < shape[1]; ++j) {
        int64_t k = iv[size_t(dim == 0 ? i : j)];
        float want = dim == 0 ? at2<float>(x, k, j) : at2<float>(x, i, k);
        ASSERT_EQ(at2<float>(out, i, j), want) << i << "," << j;
      }
  }
}

TEST(CpuIndex, GatherStridedInputsAgainstLoop) {
  Tensor x = raw::transpose(host_ints<double>({1031, 67}, -100, 100, 3), 0, 1);  // [67, 1031]
  struct Case {
    int64_t dim;
    Shape index_shape;
    int64_t limit;
  };
  for (const Case& c : {Case{1, {67, 500}, 1031}, Case{0, {40, 1031}, 67}, Case{1, {30, 200}, 1031},
                        Case{0, {100, 7}, 67}}) {
    SCOPED_TRACE("dim " + std::to_string(c.dim) + " index " + shape_str(c.index_shape));
    Tensor index = host_ints<int64_t>(c.index_shape, 0, c.limit, 4);
    Tensor out = Tensor::empty(c.index_shape, {DType::f64});
    be().gather(x, c.dim, index, out);
    for (int64_t i = 0; i < c.index_shape[0]; ++i)
      for (int64_t j = 0; j < c.index_shape[1]; ++j) {
        int64_t k = at2<int64_t>(index, i, j);
        double want = c.dim == 0 ? at2<double>(x, k, j) : at2<double>(x, i, k);
        ASSERT_EQ(at2<double>(out, i, j), want) << i << "," << j;
      }
  }
}

TEST(CpuIndex, IndexAddAccumulatesDuplicatesInEveryDtype) {
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    for (int64_t dim : {0, 1}) {
      SCOPED_TRACE(std::string(dtype_name(dt)) + " dim " + std::to_string(dim));
      // out [5, 1000] along dim 0 or [1000, 5] along dim 1; 3000 source slices onto 5.
      Shape out_shape = dim == 0 ? Shape{5, 1000} : Shape{1000, 5};
      Shape src_shape = dim == 0 ? Shape{3000, 1000} : Shape{1000, 3000};
      Tensor index = host_ints<int64_t>({3000}, 0, 5, 5);
      Tensor src = raw::cast(host_ints<int64_t>(src_shape, -10, 10, 6), dt);
      Tensor out = zeros(out_shape, {dt});
      raw::index_add_(out, dim, index, src);
      auto got = raw::cast(out, DType::i64).to_vector<int64_t>();
      std::vector<int64_t> want(got.size(), 0);
      auto sv = raw::cast(src, DType::i64).to_vector<int64_t>();
      auto iv = index.to_vector<int64_t>();
      for (int64_t i = 0; i < src_shape[0]; ++i)
        for (int64_t j = 0; j < src_shape[1]; ++j) {
          int64_t v = sv[size_t(i * src_shape[1] + j)];
          if (dim == 0) want[size_t(iv[size_t(i)] * 1000 + j)] += v;
          else want[size_t(i * 5 + iv[size_t(j)])] += v;
        }
      EXPECT_EQ(got, want);
    }
  }
}

TEST(CpuIndex, ScatterAddAccumulatesDuplicatesAgainstLoop) {
  for (int64_t dim : {0, 1}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    // out [8, 900] (dim 0) or [900, 8] (dim 1); index/src cover 2000 along dim, 700 across.
    Shape out_shape = dim == 0 ? Shape{8, 900} : Shape{900, 8};
    Shape src_shape = dim == 0 ? Shape{2000, 700} : Shape{700, 2000};
    Tensor index = host_ints<int64_t>(src_shape, 0, 8, 7);
    Tensor src = host_ints<double>(src_shape, -10, 10, 8);
    Tensor out = zeros(out_shape, {DType::f64});
    raw::scatter_add_(out, dim, index, src);
    std::vector<double> want(size_t(shape_numel(out_shape)), 0.0);
    auto iv = index.to_vector<int64_t>();
    auto sv = src.to_vector<double>();
    for (int64_t i = 0; i < src_shape[0]; ++i)
      for (int64_t j = 0; j < src_shape[1]; ++j) {
        size_t q = size_t(i * src_shape[1] + j);
        int64_t k = iv[q];
        if (dim == 0) want[size_t(k * 900 + j)] += sv[q];
        else want[size_t(i * 8 + k)] += sv[q];
      }
    EXPECT_EQ(out.to_vector<double>(), want);
  }
}

TEST(CpuIndex, AccumulationIsIdenticalForOneAndTwoThreads) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(3000 * 700);
  for (float& x : v) x = dist(rng);
  Tensor src = from_vector(v, {3000, 700});
  Tensor index = host_ints<int64_t>({3000, 700}, 0, 4, 10);
  int saved = omp_get_max_threads();
  std::vector<float> results[2];
  for (int t : {1, 2}) {
    omp_set_num_threads(t);
    Tensor out = zeros({4, 700});
    raw::scatter_add_(out, 0, index, src);
    results[t - 1] = out.to_vector<float>();
  }
  omp_set_num_threads(saved);
  EXPECT_EQ(results[0], results[1]);
}

TEST(CpuIndex, OutOfRangeIndexErrorsNameOpPositionAndValue) {
  Tensor x = zeros({3, 4});
  Tensor bad1d = from_vector(std::vector<int64_t>{0, 4, 1}, {3});
  Tensor out = Tensor::empty({3, 3});
  expect_mentions(error_of([&] { be().index_select(x, 1, bad1d, out); }),
                  {"index_select", "4", "[1]", "size 4"});
  Tensor neg = from_vector(std::vector<int64_t>{0, 1, -1}, {3});
  expect_mentions(error_of([&] { raw::index_select(x, 1, neg); }), {"index_select", "-1", "[2]"});

  Tensor src = ones({3, 3});
  Tensor too_big = from_vector(std::vector<int64_t>{0, 3, 2}, {3});
  Tensor dst = zeros({3, 4});
  expect_mentions(error_of([&] { raw::index_add_(dst, 1, bad1d, src); }), {"index_add", "4", "[1]"});
  expect_mentions(error_of([&] { raw::index_add_(dst, 0, too_big, ones({3, 4})); }),
                  {"index_add", "3", "[1]", "size 3"});

  Tensor gidx = from_vector(std::vector<int64_t>{0, 1, 2, 3, 0, 7}, {2, 3});
  expect_mentions(error_of([&] { raw::gather(x, 0, gidx); }), {"gather", "3", "[1,0]"});
  expect_mentions(error_of([&] { raw::scatter_add_(dst, 1, gidx, ones({2, 3})); }),
                  {"scatter_add", "7", "[1,2]", "size 4"});
  EXPECT_EQ(dst.to_vector<float>(), std::vector<float>(12, 0.0f));  // nothing written
}
