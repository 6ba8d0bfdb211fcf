// The CPU backend's fused optimizer updates (tensor/cpu/optim.cpp) against the
// raw op sequence of nn/optim/sgd.cpp and adam.cpp (copied below as the
// reference), over several steps, odd sizes, f32 and f64. Both compute the
// same T operations in the same order, so the comparison is exact
// (tolerance 0, f32 and f64); the gradient must stay untouched.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cpu_kernel_check.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

using nf::Tensor;
namespace raw = nf::raw;

nf::cpu::CpuBackend& cpu() { return nf::cpu::cpu_backend(); }

// nn/optim/sgd.cpp's op sequence.
void sgd_reference(const Tensor& p, const Tensor& g, const Tensor& buf, double lr, double mom,
                   double wd, bool nesterov) {
  Tensor d = g;
  if (wd != 0) {
    d = raw::clone(g);
    raw::add_(d, p, wd);
  }
  if (mom != 0) {
    raw::mul_(buf, mom);
    raw::add_(buf, d);
    if (nesterov) {
      if (d.same_data(g)) d = raw::clone(g);
      raw::add_(d, buf, mom);
    } else {
      d = buf;
    }
  }
  raw::add_(p, d, -lr);
}

struct AdamCfg {
  double lr, beta1, beta2, eps, wd;
  bool decoupled;
};

// nn/optim/adam.cpp's op sequence.
void adam_reference(const Tensor& p, const Tensor& grad, const Tensor& m, const Tensor& v,
                    const AdamCfg& o, int64_t step) {
  Tensor g = grad;
  if (o.wd != 0) {
    if (o.decoupled) {
      raw::mul_(p, 1.0 - o.lr * o.wd);
    } else {
      g = raw::clone(grad);
      raw::add_(g, p, o.wd);
    }
  }
  raw::mul_(m, o.beta1);
  raw::add_(m, g, 1.0 - o.beta1);
  raw::mul_(v, o.beta2);
  raw::add_(v, raw::unary(nf::UnaryOp::square, g), 1.0 - o.beta2);
  const double t = double(step);
  const double bias1 = 1.0 - std::pow(o.beta1, t), bias2 = 1.0 - std::pow(o.beta2, t);
  Tensor denom = raw::add_scalar(raw::mul_scalar(raw::sqrt(v), 1.0 / std::sqrt(bias2)), o.eps);
  raw::add_(p, raw::div(m, denom), -o.lr / bias1);
}

void expect_equal(const Tensor& got, const Tensor& want, const std::string& what) {
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  ASSERT_EQ(g.size(), w.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < g.size(); ++i)
    if (g[i] != w[i] && !(std::isnan(g[i]) && std::isnan(w[i])) && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << ", expected " << w[i];
}

const std::vector<int64_t> kSizes{1, 7, 1023, 100003};
constexpr int kSteps = 4;

template <typename T>
class CpuOptim : public ::testing::Test {};
TYPED_TEST_SUITE(CpuOptim, nf::testing::FloatTypes);

struct SgdCfg {
  double mom, wd;
  bool nesterov;
};

TYPED_TEST(CpuOptim, SgdEqualsTheOpSequence) {
  using T = TypeParam;
  const std::vector<SgdCfg> cfgs{{0.0, 0.0, false}, {0.0, 1e-2, false}, {0.9, 0.0, false},
                                 {0.9, 5e-4, false}, {0.9, 0.0, true},   {0.8, 1e-2, true}};
  std::mt19937_64 rng(7);
  for (int64_t n : kSizes) {
    for (const SgdCfg& c : cfgs) {
      const std::string what = "n=" + std::to_string(n) + " mom=" + std::to_string(c.mom) +
                               " wd=" + std::to_string(c.wd) + (c.nesterov ? " nesterov" : "");
      Tensor p_ref = nf::testing::random_tensor<T>({n}, rng), p = raw::clone(p_ref);
      Tensor buf_ref = raw::mul_scalar(p_ref, 0.0), buf = raw::clone(buf_ref);
      Tensor no_buf;  // momentum 0: the fused kernel must not need a buffer
      for (int s = 0; s < kSteps; ++s) {
        Tensor g = nf::testing::random_tensor<T>({n}, rng, -2.0, 2.0), g_copy = raw::clone(g);
        sgd_reference(p_ref, g, buf_ref, 0.05, c.mom, c.wd, c.nesterov);
        cpu().sgd_step(p, g, c.mom != 0 ? buf : no_buf, 0.05, c.mom, c.wd, c.nesterov);
        expect_equal(p, p_ref, what + " param step " + std::to_string(s));
        expect_equal(buf, buf_ref, what + " momentum_buf step " + std::to_string(s));
        expect_equal(g, g_copy, what + " grad must stay");
      }
    }
  }
}

TYPED_TEST(CpuOptim, AdamAndAdamWEqualTheOpSequence) {
  using T = TypeParam;
  const std::vector<AdamCfg> cfgs{{1e-3, 0.9, 0.999, 1e-8, 0.0, false},
                                  {1e-2, 0.9, 0.999, 1e-8, 1e-2, false},
                                  {1e-2, 0.9, 0.999, 1e-8, 1e-2, true},
                                  {3e-3, 0.0, 0.5, 1e-3, 0.1, true}};
  std::mt19937_64 rng(11);
  for (int64_t n : kSizes) {
    for (const AdamCfg& c : cfgs) {
      const std::string what = "n=" + std::to_string(n) + " lr=" + std::to_string(c.lr) +
                               " wd=" + std::to_string(c.wd) + (c.decoupled ? " AdamW" : " Adam");
      Tensor p_ref = nf::testing::random_tensor<T>({n}, rng), p = raw::clone(p_ref);
      Tensor m_ref = raw::mul_scalar(p_ref, 0.0), v_ref = raw::clone(m_ref);
      Tensor m = raw::clone(m_ref), v = raw::clone(m_ref);
      for (int64_t step = 1; step <= kSteps; ++step) {
        Tensor g = nf::testing::random_tensor<T>({n}, rng, -2.0, 2.0), g_copy = raw::clone(g);
        adam_reference(p_ref, g, m_ref, v_ref, c, step);
        cpu().adam_step(p, g, m, v, c.lr, c.beta1, c.beta2, c.eps, c.wd, c.decoupled, step);
        const std::string at = what + " step " + std::to_string(step);
        expect_equal(p, p_ref, at + " param");
        expect_equal(m, m_ref, at + " exp_avg");
        expect_equal(v, v_ref, at + " exp_avg_sq");
        expect_equal(g, g_copy, at + " grad must stay");
      }
    }
  }
}

TEST(CpuOptimErrors, MismatchedOrNonContiguousTensorsThrowNamingThem) {
  Tensor p = nf::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor g = raw::clone(p);
  Tensor transposed = raw::contiguous(raw::transpose(p, 0, 1));
  transposed = raw::transpose(transposed, 0, 1);  // shape [2,3], not contiguous
  Tensor f32_buf = raw::cast(p, nf::DType::f32);
  Tensor none;
  auto msg = [](auto&& fn) -> std::string {
    try {
      fn();
    } catch (const nf::Error& e) {
      return e.what();
    }
    return "<no error>";
  };
  EXPECT_NE(msg([&] { cpu().sgd_step(p, g, transposed, 0.1, 0.9, 0, false); })
                .find("sgd_step: momentum_buf [2,3]"),
            std::string::npos);
  EXPECT_NE(msg([&] { cpu().sgd_step(p, g, f32_buf, 0.1, 0.9, 0, false); }).find("must be contiguous and match"),
            std::string::npos);
  EXPECT_NE(msg([&] { cpu().sgd_step(p, g, none, 0.1, 0.0, 0, true); }).find("Nesterov"),
            std::string::npos);
  EXPECT_NE(msg([&] { cpu().adam_step(p, g, g, none, 0.1, 0.9, 0.99, 1e-8, 0, false, 1); })
                .find("adam_step: exp_avg_sq (undefined)"),
            std::string::npos);
  EXPECT_NE(msg([&] { cpu().adam_step(p, g, g, g, 0.1, 0.9, 0.99, 1e-8, 0, false, 0); })
                .find("step must be >= 1"),
            std::string::npos);
  Tensor ip = nf::from_vector(std::vector<int64_t>{1, 2}, {2});
  EXPECT_NE(msg([&] { cpu().sgd_step(ip, ip, none, 0.1, 0.0, 0, false); }).find("sgd_step: expected a floating dtype"),
            std::string::npos);
}

}  // namespace
