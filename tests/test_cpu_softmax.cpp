// CPU softmax / log-softmax / NLL: the fast kernels against the naive
// reference on odd shapes (f32 and f64), hand-checked values, stability on
// large inputs, finite-difference gradients (f64), NLL target errors and
// thread independence.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cpu_kernel_check.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/reference.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

using namespace nf::testing;
using nf::Shape;
using nf::Tensor;

using nf::testing::expect_close;

// Compares with literal expected values in row-major order.
void expect_close(const Tensor& a, const std::vector<double>& expected, double tol,
                  const std::string& what) {
  expect_close(a, nf::from_vector<double>(expected, a.shape()), tol, what);
}

nf::cpu::CpuBackend& cpu() { return nf::cpu::cpu_backend(); }

template <typename T>
Tensor fast_softmax(const Tensor& x, bool log) {
  Tensor y = empty_of<T>(x.shape());
  cpu().softmax(x, log, y);
  return y;
}

template <typename T>
Tensor ref_softmax(const Tensor& x, bool log) {
  Tensor y = empty_of<T>(x.shape());
  nf::cpu::ref::softmax(x, log, y);
  return y;
}

template <typename T>
class CpuSoftmax : public ::testing::Test {};
TYPED_TEST_SUITE(CpuSoftmax, FloatTypes);

TYPED_TEST(CpuSoftmax, MatchesReferenceOnOddShapes) {
  using T = TypeParam;
  std::mt19937_64 rng(42);
  const double tol = tolerance<T>();
  std::vector<Shape> shapes;
  for (int64_t R : {1, 3, 7})
    for (int64_t C : {1, 5, 17, 300}) shapes.push_back({R, C});
  shapes.push_back({512, 128});  // large enough to take the parallel path
  for (const Shape& shape : shapes)
    for (bool log : {false, true}) {
      SCOPED_TRACE(nf::shape_str(shape) + (log ? " log_softmax" : " softmax"));
      const Tensor x = random_tensor<T>(shape, rng, -3, 3);
      const Tensor y = fast_softmax<T>(x, log);
      expect_close(y, ref_softmax<T>(x, log), tol, "forward");
      const Tensor g = random_tensor<T>(shape, rng);
      Tensor gx = empty_of<T>(shape), gr = empty_of<T>(shape);
      cpu().softmax_backward(g, y, log, gx);
      nf::cpu::ref::softmax_backward(g, y, log, gr);
      expect_close(gx, gr, 10 * tol, "backward");
      if (::testing::Test::HasFatalFailure()) return;
    }
}

TYPED_TEST(CpuSoftmax, HandCheckedOneTwoThree) {
  using T = TypeParam;
  const Tensor x = nf::from_vector<T>({1, 2, 3}, {1, 3});
  expect_close(fast_softmax<T>(x, false), {0.09003057317038046, 0.24472847105479767, 0.6652409557748219},
               tolerance<T>(), "softmax");
  expect_close(fast_softmax<T>(x, true), {-2.40760596444438, -1.4076059644443801, -0.40760596444438013},
               tolerance<T>(), "log_softmax");
}

TYPED_TEST(CpuSoftmax, RowsSumToOne) {
  using T = TypeParam;
  std::mt19937_64 rng(3);
  const Tensor y = fast_softmax<T>(random_tensor<T>({7, 33}, rng, -20, 20), false);
  const auto v = values(y);
  for (int64_t r = 0; r < 7; ++r) {
    double s = 0.0;
    for (int64_t j = 0; j < 33; ++j) {
      EXPECT_GE(v[r * 33 + j], 0.0);
      s += v[r * 33 + j];
    }
    EXPECT_NEAR(s, 1.0, 10 * tolerance<T>()) << "row " << r;
  }
}

TYPED_TEST(CpuSoftmax, LargeInputsStayFinite) {
  using T = TypeParam;
  const Tensor x = nf::from_vector<T>({1e4, -1e4, 0, 1e4, -1e4, -1e4, -1e4, -1e4}, {2, 4});
  const double l2 = 0.6931471805599453, q = std::log(4.0);
  expect_close(fast_softmax<T>(x, false), {0.5, 0, 0, 0.5, 0.25, 0.25, 0.25, 0.25}, tolerance<T>(),
               "softmax");
  expect_close(fast_softmax<T>(x, true), {-l2, -2e4 - l2, -1e4 - l2, -l2, -q, -q, -q, -q},
               tolerance<T>(), "log_softmax");
}

// Loss L = sum(y * R) with y = (log_)softmax(x): dL/dx is the backward of R.
void check_softmax_fd(const Shape& shape, bool log, std::mt19937_64& rng) {
  Tensor x = random_tensor<double>(shape, rng);
  const Tensor R = random_tensor<double>(shape, rng);
  const auto r = values(R);
  auto loss = [&] {
    const auto y = values(fast_softmax<double>(x, log));
    double L = 0.0;
    for (size_t i = 0; i < y.size(); ++i) L += y[i] * r[i];
    return L;
  };
  Tensor gx = empty_of<double>(shape);
  cpu().softmax_backward(R, fast_softmax<double>(x, log), log, gx);
  const auto an = values(gx);
  double* p = x.data<double>();
  const double h = 1e-6;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const double saved = p[i];
    p[i] = saved + h;
    const double up = loss();
    p[i] = saved - h;
    const double down = loss();
    p[i] = saved;
    const double fd = (up - down) / (2 * h);
    ASSERT_NEAR(an[i], fd, 1e-7 * (1.0 + std::abs(fd))) << "element " << i;
  }
}

TEST(CpuSoftmaxGrad, FiniteDifferencesF64) {
  std::mt19937_64 rng(11);
  for (const Shape& shape : {Shape{1, 1}, Shape{3, 5}, Shape{2, 17}})
    for (bool log : {false, true}) {
      SCOPED_TRACE(nf::shape_str(shape) + (log ? " log_softmax" : " softmax"));
      check_softmax_fd(shape, log, rng);
    }
}

TEST(CpuSoftmaxErrors, NamesOpAndShapes) {
  const Tensor x3 = nf::zeros({2, 3, 4});
  Tensor out3 = Tensor::empty({2, 3, 4});
  expect_error([&] { cpu().softmax(x3, false, out3); }, {"softmax", "[R,C]", "[2,3,4]"});
  const Tensor x = nf::zeros({2, 3});
  Tensor bad = Tensor::empty({2, 3}, {nf::DType::f64});
  expect_error([&] { cpu().softmax(x, false, bad); }, {"softmax", "out", "f64", "f32"});
  Tensor gx = Tensor::empty({3, 2});
  expect_error([&] { cpu().softmax_backward(x, x, true, gx); },
               {"softmax_backward", "grad_x", "[3,2]", "[2,3]"});
}

// --- nll_loss -------------------------------------------------------------------

template <typename T>
Tensor fast_nll(const Tensor& logp, const Tensor& target, int64_t ignore) {
  Tensor out = empty_of<T>({});
  cpu().nll_loss(logp, target, ignore, out);
  return out;
}

template <typename T>
Tensor fast_nll_backward(double g, const Tensor& target, const Shape& shape, int64_t ignore) {
  Tensor grad = empty_of<T>(shape);
  cpu().nll_loss_backward(nf::from_vector<T>({static_cast<T>(g)}, {}), target, ignore, grad);
  return grad;
}

TYPED_TEST(CpuSoftmax, NllMatchesReference) {
  using T = TypeParam;
  std::mt19937_64 rng(8);
  for (int64_t N : {1, 3, 7, 64})
    for (int64_t C : {1, 5, 17}) {
      SCOPED_TRACE(nf::shape_str({N, C}));
      const Tensor logp = random_tensor<T>({N, C}, rng, -5, 0);
      std::vector<int64_t> t(N);
      std::uniform_int_distribution<int64_t> pick(0, C - 1);
      for (int64_t i = 0; i < N; ++i) t[i] = i % 3 == 1 ? -100 : pick(rng);  // some ignored
      const Tensor target = nf::from_vector<int64_t>(t, {N});
      Tensor ref_out = empty_of<T>({});
      nf::cpu::ref::nll_loss(logp, target, -100, ref_out);
      expect_close(fast_nll<T>(logp, target, -100), ref_out, tolerance<T>(), "nll_loss");
      Tensor ref_grad = empty_of<T>({N, C});
      nf::cpu::ref::nll_loss_backward(nf::from_vector<T>({T(0.75)}, {}), target, -100, ref_grad);
      expect_close(fast_nll_backward<T>(0.75, target, {N, C}, -100), ref_grad, tolerance<T>(),
                   "nll_loss_backward");
    }
}

// logp [3,3]; targets 2, ignored (1 as ignore_index), 0 -> -(logp[0,2] + logp[2,0]) / 2.
TYPED_TEST(CpuSoftmax, NllHandChecked) {
  using T = TypeParam;
  const Tensor logp = nf::from_vector<T>({-1, -2, -3, -4, -5, -6, -7, -8, -9}, {3, 3});
  const Tensor target = nf::from_vector<int64_t>({2, 1, 0}, {3});
  expect_close(fast_nll<T>(logp, target, 1), {5.0}, tolerance<T>(), "loss");
  expect_close(fast_nll_backward<T>(2.0, target, {3, 3}, 1), {0, 0, -1, 0, 0, 0, -1, 0, 0},
               tolerance<T>(), "grad");
  // ignore_index -100: all three rows count.
  expect_close(fast_nll<T>(logp, target, -100), {(3.0 + 5.0 + 7.0) / 3}, tolerance<T>(), "loss");
}

// As PyTorch: the mean over zero rows is NaN; the gradient is all zeros.
TYPED_TEST(CpuSoftmax, NllAllIgnoredIsNaN) {
  using T = TypeParam;
  const Tensor logp = nf::from_vector<T>({-1, -2, -3, -4}, {2, 2});
  const Tensor target = nf::from_vector<int64_t>({-100, -100}, {2});
  EXPECT_TRUE(std::isnan(values(fast_nll<T>(logp, target, -100))[0]));
  expect_close(fast_nll_backward<T>(1.0, target, {2, 2}, -100), {0, 0, 0, 0}, 0.0, "grad");
}

TEST(CpuSoftmaxNllGrad, FiniteDifferencesF64) {
  std::mt19937_64 rng(21);
  Tensor logp = random_tensor<double>({5, 4}, rng, -4, 0);
  const Tensor target = nf::from_vector<int64_t>({3, -100, 0, 3, 1}, {5});
  const auto an = values(fast_nll_backward<double>(1.0, target, {5, 4}, -100));
  double* p = logp.data<double>();
  const double h = 1e-6;
  for (int64_t i = 0; i < logp.numel(); ++i) {
    const double saved = p[i];
    p[i] = saved + h;
    const double up = values(fast_nll<double>(logp, target, -100))[0];
    p[i] = saved - h;
    const double down = values(fast_nll<double>(logp, target, -100))[0];
    p[i] = saved;
    EXPECT_NEAR(an[i], (up - down) / (2 * h), 1e-8) << "element " << i;
  }
}

TEST(CpuSoftmaxNllErrors, BadTargetNamesRowAndValue) {
  const Tensor logp = nf::zeros({4, 5});
  const Tensor too_big = nf::from_vector<int64_t>({0, 4, 5, 1}, {4});
  expect_error([&] { fast_nll<float>(logp, too_big, -100); },
               {"nll_loss", "target 5", "row 2", "[0,5)"});
  const Tensor negative = nf::from_vector<int64_t>({-1, 0, 0, 0}, {4});
  expect_error([&] { fast_nll<float>(logp, negative, -100); }, {"nll_loss", "target -1", "row 0"});
  expect_error([&] { fast_nll_backward<float>(1.0, too_big, {4, 5}, -100); },
               {"nll_loss_backward", "target 5", "row 2"});
  const Tensor wrong_dtype = nf::zeros({4});
  expect_error([&] { fast_nll<float>(logp, wrong_dtype, -100); }, {"nll_loss", "i64", "f32"});
  const Tensor wrong_len = nf::from_vector<int64_t>({0, 1}, {2});
  expect_error([&] { fast_nll<float>(logp, wrong_len, -100); }, {"nll_loss", "[4]", "[2]"});
}

TEST(CpuSoftmaxThreads, SameBitsForAnyThreadCount) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP";
#else
  std::mt19937_64 rng(17);
  const Tensor x = random_tensor<float>({1024, 100}, rng);
  const Tensor g = random_tensor<float>({1024, 100}, rng);
  const int saved = omp_get_max_threads();
  for (bool log : {false, true}) {
    omp_set_num_threads(1);
    const Tensor y1 = fast_softmax<float>(x, log);
    Tensor gx1 = empty_of<float>({1024, 100});
    cpu().softmax_backward(g, y1, log, gx1);
    omp_set_num_threads(4);
    const Tensor y4 = fast_softmax<float>(x, log);
    Tensor gx4 = empty_of<float>({1024, 100});
    cpu().softmax_backward(g, y4, log, gx4);
    expect_equal(y1, y4, "forward");
    expect_equal(gx1, gx4, "backward");
  }
  omp_set_num_threads(saved);
#endif
}

// The nf::raw front end moves `dim` last, runs the row kernel and moves it back.
TEST(CpuSoftmaxFrontEnd, AlongAnyDim) {
  std::mt19937_64 rng(31);
  const Tensor x = random_tensor<double>({3, 4, 5}, rng, -3, 3);
  for (int64_t dim : {0, 1, -1})
    for (bool log : {false, true}) {
      SCOPED_TRACE("dim " + std::to_string(dim) + (log ? " log_softmax" : " softmax"));
      const Tensor y = log ? nf::raw::log_softmax(x, dim) : nf::raw::softmax(x, dim);
      ASSERT_EQ(y.shape(), x.shape());
      // Rows of the moved-last layout through the reference.
      const Tensor moved = nf::raw::contiguous(nf::raw::transpose(x, dim, -1));
      const Tensor rows = nf::raw::view(moved, {-1, moved.size(-1)});
      const Tensor expected = nf::raw::transpose(
          nf::raw::view(ref_softmax<double>(rows, log), moved.shape()), dim, -1);
      expect_close(y, expected, tolerance<double>(), "forward");
      const Tensor g = random_tensor<double>({3, 4, 5}, rng);
      const Tensor gx = nf::raw::softmax_backward(g, y, dim, log);
      const Tensor g_rows = nf::raw::view(nf::raw::contiguous(nf::raw::transpose(g, dim, -1)), rows.shape());
      const Tensor y_rows = nf::raw::view(nf::raw::contiguous(nf::raw::transpose(y, dim, -1)), rows.shape());
      Tensor gx_rows = empty_of<double>(rows.shape());
      nf::cpu::ref::softmax_backward(g_rows, y_rows, log, gx_rows);
      expect_close(gx, nf::raw::transpose(nf::raw::view(gx_rows, moved.shape()), dim, -1),
                   tolerance<double>(), "backward");
    }
  const Tensor logp = nf::raw::log_softmax(x, -1);
  expect_error([&] { nf::raw::nll_loss(nf::raw::view(logp, {12, 5}), nf::from_vector<int64_t>(std::vector<int64_t>(12, 5), {12})); },
               {"nll_loss", "target 5", "row 0"});
}

}  // namespace
