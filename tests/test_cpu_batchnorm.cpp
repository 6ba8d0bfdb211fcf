// CPU batch norm: the fast kernel against the naive reference on odd shapes
// (f32 and f64, affine on/off, running stats on/off, training/eval), hand-
// checked values, finite-difference gradients (f64) and thread independence.
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

template <typename T>
Tensor copy_of(const Tensor& t) {
  if (!t.defined()) return {};
  const T* p = t.data<T>();
  return nf::from_vector<T>(std::vector<T>(p, p + t.numel()), t.shape());
}

nf::cpu::CpuBackend& cpu() { return nf::cpu::cpu_backend(); }

// Everything one batch-norm call reads and writes.
struct BnCase {
  Tensor x, weight, bias, running_mean, running_var;
  bool training = true;
};

struct BnOut {
  Tensor out, mean, invstd, running_mean, running_var;
};

template <typename T>
BnOut run_forward(const BnCase& c, bool reference, double momentum = 0.1, double eps = 1e-5) {
  const int64_t C = c.x.size(1);
  BnOut r{empty_of<T>(c.x.shape()), empty_of<T>({C}), empty_of<T>({C}), copy_of<T>(c.running_mean),
          copy_of<T>(c.running_var)};
  if (reference)
    nf::cpu::ref::batch_norm_forward(c.x, c.weight, c.bias, r.running_mean, r.running_var,
                                     c.training, momentum, eps, r.out, r.mean, r.invstd);
  else
    cpu().batch_norm_forward(c.x, c.weight, c.bias, r.running_mean, r.running_var, c.training,
                             momentum, eps, r.out, r.mean, r.invstd);
  return r;
}

struct BnGrads {
  Tensor x, weight, bias;
};

template <typename T>
BnGrads run_backward(const Tensor& g, const BnCase& c, const BnOut& f, bool reference) {
  const int64_t C = c.x.size(1);
  BnGrads r{empty_of<T>(c.x.shape()), c.weight.defined() ? empty_of<T>({C}) : Tensor{},
            c.weight.defined() ? empty_of<T>({C}) : Tensor{}};
  if (reference)
    nf::cpu::ref::batch_norm_backward(g, c.x, c.weight, f.mean, f.invstd, c.training, r.x,
                                      r.weight, r.bias);
  else
    cpu().batch_norm_backward(g, c.x, c.weight, f.mean, f.invstd, c.training, r.x, r.weight,
                              r.bias);
  return r;
}

template <typename T>
BnCase make_case(const Shape& shape, bool affine, bool running, bool training,
                 std::mt19937_64& rng) {
  const Shape ch{shape[1]};
  BnCase c;
  c.x = random_tensor<T>(shape, rng, -1.0, 3.0);  // a non-zero mean on purpose
  if (affine) {
    c.weight = random_tensor<T>(ch, rng, 0.5, 2.0);
    c.bias = random_tensor<T>(ch, rng);
  }
  if (running) {
    c.running_mean = random_tensor<T>(ch, rng);
    c.running_var = random_tensor<T>(ch, rng, 0.5, 2.0);
  }
  c.training = training;
  return c;
}

template <typename T>
class CpuBatchNorm : public ::testing::Test {};
TYPED_TEST_SUITE(CpuBatchNorm, FloatTypes);

TYPED_TEST(CpuBatchNorm, MatchesReferenceOnOddShapes) {
  using T = TypeParam;
  std::mt19937_64 rng(1234);
  const double tol = tolerance<T>();
  for (int64_t N : {1, 3, 7})
    for (int64_t C : {1, 5, 17})
      for (const Shape& spatial : {Shape{}, Shape{1, 1}, Shape{5, 7}})
        for (bool affine : {false, true})
          for (bool running : {false, true})
            for (bool training : {false, true}) {
              Shape shape{N, C};
              shape.insert(shape.end(), spatial.begin(), spatial.end());
              SCOPED_TRACE(nf::shape_str(shape) + (affine ? " affine" : "") +
                           (running ? " running" : "") + (training ? " training" : " eval"));
              if (!training && !running) continue;  // eval needs running stats (error test below)
              const BnCase c = make_case<T>(shape, affine, running, training, rng);
              if (training && nf::shape_numel(shape) / C == 1) {
                expect_error([&] { run_forward<T>(c, false); },
                             {"batch_norm_forward", "more than 1 value per channel"});
                continue;
              }
              const BnOut fast = run_forward<T>(c, false), ref = run_forward<T>(c, true);
              expect_close(fast.out, ref.out, tol, "out");
              expect_close(fast.mean, ref.mean, tol, "save_mean");
              expect_close(fast.invstd, ref.invstd, tol, "save_invstd");
              if (running) {
                expect_close(fast.running_mean, ref.running_mean, tol, "running_mean");
                expect_close(fast.running_var, ref.running_var, tol, "running_var");
              }
              const Tensor g = random_tensor<T>(shape, rng);
              const BnGrads gf = run_backward<T>(g, c, fast, false);
              const BnGrads gr = run_backward<T>(g, c, fast, true);
              expect_close(gf.x, gr.x, 10 * tol, "grad_x");
              if (affine) {
                expect_close(gf.weight, gr.weight, 10 * tol, "grad_weight");
                expect_close(gf.bias, gr.bias, 10 * tol, "grad_bias");
              }
              if (::testing::Test::HasFatalFailure()) return;
            }
}

// x [4,2]: channel 0 = 1,2,3,4 (mean 2.5, var 1.25), channel 1 = 10,10,10,14
// (mean 11, var 3); weight [2, 0.5], bias [0, 1]; running stats from 0 and 1.
TYPED_TEST(CpuBatchNorm, HandCheckedTraining) {
  using T = TypeParam;
  BnCase c;
  c.x = nf::from_vector<T>({1, 10, 2, 10, 3, 10, 4, 14}, {4, 2});
  c.weight = nf::from_vector<T>({2, 0.5}, {2});
  c.bias = nf::from_vector<T>({0, 1}, {2});
  c.running_mean = nf::from_vector<T>({0, 0}, {2});
  c.running_var = nf::from_vector<T>({1, 1}, {2});
  const BnOut r = run_forward<T>(c, false, 0.1, 1e-5);
  const double tol = tolerance<T>();
  const double a = 2.6832708399378538, b = 0.894423613312618, k = 0.7113253465292086;
  expect_close(r.out, nf::from_vector<double>({-a, k, -b, k, b, k, a, 1.866023960412374}, {4, 2}),
               tol, "out");
  expect_close(r.mean, nf::from_vector<double>({2.5, 11}, {2}), tol, "save_mean");
  expect_close(r.invstd, nf::from_vector<double>({0.894423613312618, 0.5773493069415827}, {2}),
               tol, "save_invstd");
  // running = 0.9 * running + 0.1 * batch, with the unbiased variance (n/(n-1) = 4/3).
  expect_close(r.running_mean, nf::from_vector<double>({0.25, 1.1}, {2}), tol, "running_mean");
  expect_close(r.running_var, nf::from_vector<double>({0.9 + 0.1 * 1.25 * 4 / 3, 1.3}, {2}), tol,
               "running_var");
}

TYPED_TEST(CpuBatchNorm, EvalUsesRunningStatsAndLeavesThem) {
  using T = TypeParam;
  BnCase c;
  c.x = nf::from_vector<T>({1, 2, 3, 4, 5, 6}, {3, 2});
  c.running_mean = nf::from_vector<T>({1, 2}, {2});
  c.running_var = nf::from_vector<T>({4, 0.25}, {2});
  c.training = false;
  const BnOut r = run_forward<T>(c, false, 0.1, 0.0);
  // channel 0: (x - 1) / 2, channel 1: (x - 2) / 0.5
  expect_close(r.out, nf::from_vector<double>({0, 0, 1, 4, 2, 8}, {3, 2}), tolerance<T>(), "out");
  expect_equal(r.mean, c.running_mean, "save_mean");
  expect_equal(r.invstd, nf::from_vector<double>({0.5, 2}, {2}), "save_invstd");
  expect_equal(r.running_mean, c.running_mean, "running_mean unchanged");
  expect_equal(r.running_var, c.running_var, "running_var unchanged");
}

TYPED_TEST(CpuBatchNorm, BackwardSkipsUndefinedOutputs) {
  using T = TypeParam;
  std::mt19937_64 rng(7);
  const BnCase c = make_case<T>({3, 4, 2}, true, false, true, rng);
  const BnOut f = run_forward<T>(c, false);
  const Tensor g = random_tensor<T>({3, 4, 2}, rng);
  const BnGrads full = run_backward<T>(g, c, f, false);
  // Only grad_weight requested.
  Tensor gx, gw = empty_of<T>({4}), gb;
  cpu().batch_norm_backward(g, c.x, c.weight, f.mean, f.invstd, true, gx, gw, gb);
  expect_equal(gw, full.weight, "grad_weight alone");
  // Only grad_x requested.
  Tensor gx2 = empty_of<T>({3, 4, 2}), none_w, none_b;
  cpu().batch_norm_backward(g, c.x, c.weight, f.mean, f.invstd, true, gx2, none_w, none_b);
  expect_equal(gx2, full.x, "grad_x alone");
}

TEST(CpuBatchNormErrors, NamesOpAndShapes) {
  Tensor x = nf::zeros({2, 3, 4});
  Tensor none, mean = Tensor::empty({3}), invstd = Tensor::empty({3}), out = Tensor::empty({2, 3, 4});
  expect_error([&] { cpu().batch_norm_forward(x, none, none, none, none, false, 0.1, 1e-5, out, mean, invstd); },
               {"batch_norm_forward", "eval mode needs running_mean and running_var"});
  Tensor x1 = nf::zeros({5}), out1 = Tensor::empty({5});
  expect_error([&] { cpu().batch_norm_forward(x1, none, none, none, none, true, 0.1, 1e-5, out1, mean, invstd); },
               {"batch_norm_forward", "[N,C,*]", "[5]"});
  Tensor one = nf::zeros({1, 3}), out_one = Tensor::empty({1, 3});
  expect_error([&] { cpu().batch_norm_forward(one, none, none, none, none, true, 0.1, 1e-5, out_one, mean, invstd); },
               {"batch_norm_forward", "more than 1 value per channel", "[1,3]"});
  Tensor g = nf::zeros({2, 3, 5}), gx = Tensor::empty({2, 3, 4});
  expect_error([&] { cpu().batch_norm_backward(g, x, none, mean, invstd, true, gx, none, none); },
               {"batch_norm_backward", "[2,3,5]", "[2,3,4]"});
}

// Loss L = sum(out * R): its gradient is the backward of grad_out = R.
double bn_loss(const BnCase& c, const Tensor& R, double eps) {
  const BnOut f = run_forward<double>(c, false, 0.1, eps);
  const auto o = values(f.out), r = values(R);
  double L = 0.0;
  for (size_t i = 0; i < o.size(); ++i) L += o[i] * r[i];
  return L;
}

// Central differences of bn_loss with respect to every element of `param`.
void check_fd(BnCase& c, Tensor& param, const Tensor& analytic, const Tensor& R, double eps,
              const std::string& what) {
  const double h = 1e-6;
  double* p = param.data<double>();
  const auto an = values(analytic);
  for (int64_t i = 0; i < param.numel(); ++i) {
    const double saved = p[i];
    p[i] = saved + h;
    const double up = bn_loss(c, R, eps);
    p[i] = saved - h;
    const double down = bn_loss(c, R, eps);
    p[i] = saved;
    const double fd = (up - down) / (2 * h);
    ASSERT_NEAR(an[i], fd, 1e-6 * (1.0 + std::abs(fd))) << what << " element " << i;
  }
}

TEST(CpuBatchNormGrad, FiniteDifferencesF64) {
  std::mt19937_64 rng(99);
  const double eps = 1e-3;
  for (const Shape& shape : {Shape{5, 3}, Shape{3, 4, 2, 3}})
    for (bool training : {true, false}) {
      SCOPED_TRACE(nf::shape_str(shape) + (training ? " training" : " eval"));
      BnCase c = make_case<double>(shape, true, true, training, rng);
      const Tensor R = random_tensor<double>(shape, rng);
      const BnOut f = run_forward<double>(c, false, 0.1, eps);
      const BnGrads g = run_backward<double>(R, c, f, false);
      // Running stats are outputs of the forward only; bn_loss reuses the
      // case's originals each call, so they stay fixed (eval mode's constants).
      check_fd(c, c.x, g.x, R, eps, "grad_x");
      check_fd(c, c.weight, g.weight, R, eps, "grad_weight");
      check_fd(c, c.bias, g.bias, R, eps, "grad_bias");
    }
}

TEST(CpuBatchNormThreads, SameBitsForAnyThreadCount) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP";
#else
  std::mt19937_64 rng(5);
  const BnCase c = make_case<float>({8, 64, 16, 16}, true, true, true, rng);
  const Tensor g = random_tensor<float>({8, 64, 16, 16}, rng);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const BnOut f1 = run_forward<float>(c, false);
  const BnGrads g1 = run_backward<float>(g, c, f1, false);
  omp_set_num_threads(4);
  const BnOut f4 = run_forward<float>(c, false);
  const BnGrads g4 = run_backward<float>(g, c, f4, false);
  omp_set_num_threads(saved);
  expect_equal(f1.out, f4.out, "out");
  expect_equal(f1.running_var, f4.running_var, "running_var");
  expect_equal(g1.x, g4.x, "grad_x");
  expect_equal(g1.weight, g4.weight, "grad_weight");
  const BnOut ref = run_forward<float>(c, true);
  expect_close(f4.out, ref.out, tolerance<float>(), "out vs reference");
#endif
}

// The nf::raw front end allocates the outputs, updates the running statistics
// in place (bumping their version) and routes to this kernel.
TEST(CpuBatchNormFrontEnd, RoutesToKernelAndUpdatesRunningStats) {
  std::mt19937_64 rng(13);
  const BnCase c = make_case<float>({4, 3, 2, 5}, true, true, true, rng);
  const BnOut expected = run_forward<float>(c, true, 0.2, 1e-4);
  const Tensor rm = copy_of<float>(c.running_mean), rv = copy_of<float>(c.running_var);
  const uint64_t version = rm.version();
  const auto r = nf::raw::batch_norm(c.x, c.weight, c.bias, rm, rv, true, 0.2, 1e-4);
  expect_close(r.out, expected.out, tolerance<float>(), "out");
  expect_close(rm, expected.running_mean, tolerance<float>(), "running_mean");
  expect_close(rv, expected.running_var, tolerance<float>(), "running_var");
  EXPECT_GT(rm.version(), version);
  const Tensor g = random_tensor<float>({4, 3, 2, 5}, rng);
  const auto grads = nf::raw::batch_norm_backward(g, c.x, c.weight, r.save_mean, r.save_invstd, true);
  const BnGrads ref = run_backward<float>(g, c, BnOut{r.out, r.save_mean, r.save_invstd, {}, {}}, true);
  expect_close(grads.grad_x, ref.x, 10 * tolerance<float>(), "grad_x");
  expect_close(grads.grad_weight, ref.weight, 10 * tolerance<float>(), "grad_weight");
  expect_close(grads.grad_bias, ref.bias, 10 * tolerance<float>(), "grad_bias");
}

}  // namespace
