// Optimizers against hand-computed updates (scalar reference code following
// the published algorithms), state naming and metadata, LR schedules and
// gradient-norm clipping; the fused update kernels equal the op-sequence path.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <numbers>

#include "autograd/functions.h"
#include "nn/nn.h"
#include "test_nn_util.h"

using namespace nf;
using namespace nf::nn_test;

namespace {

// Makes p.grad() == g (through a backward, as training does).
void set_grad(const Tensor& p, const std::vector<double>& g) {
  p.zero_grad_();
  (p * from_vector(g, p.shape()).to(p.dtype())).sum().backward();
}

Tensor param(const std::vector<double>& v) {
  Tensor p = from_vector(v, {int64_t(v.size())});
  p.requires_grad_();
  return p;
}

const std::vector<double> kP0{1.0, -2.0};
const std::vector<std::vector<double>> kGrads{{0.5, 1.0}, {-1.0, 0.25}, {0.3, -0.7}};

// Scalar SGD (PyTorch's algorithm, dampening 0).
std::vector<double> sgd_reference(double lr, double mom, double wd, bool nesterov) {
  std::vector<double> p = kP0, buf(p.size(), 0.0);
  for (size_t t = 0; t < kGrads.size(); ++t) {
    for (size_t i = 0; i < p.size(); ++i) {
      double d = kGrads[t][i] + wd * p[i];
      if (mom != 0) {
        buf[i] = t == 0 ? d : mom * buf[i] + d;
        d = nesterov ? d + mom * buf[i] : buf[i];
      }
      p[i] -= lr * d;
    }
  }
  return p;
}

// Scalar Adam / AdamW.
std::vector<double> adam_reference(int steps, double lr, double wd, bool decoupled) {
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  std::vector<double> p = kP0, m(2, 0.0), v(2, 0.0);
  for (int t = 1; t <= steps; ++t) {
    for (size_t i = 0; i < p.size(); ++i) {
      double g = kGrads[t - 1][i];
      if (decoupled) {
        p[i] *= 1 - lr * wd;
      } else {
        g += wd * p[i];
      }
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const double mhat = m[i] / (1 - std::pow(b1, t)), vhat = v[i] / (1 - std::pow(b2, t));
      p[i] -= lr * mhat / (std::sqrt(vhat) + eps);
    }
  }
  return p;
}

template <typename Opt>
Tensor run_steps(Opt& opt, const Tensor& p, int steps) {
  for (int t = 0; t < steps; ++t) {
    opt.zero_grad();
    set_grad(p, kGrads[t]);
    opt.step();
  }
  return p;
}

}  // namespace

TEST(SGD, PlainStepIsLrTimesGradient) {
  Tensor p = param(kP0);
  optim::SGD opt({p}, {.lr = 0.1});
  run_steps(opt, p, 1);
  expect_values(p, {0.95, -2.1}, 1e-12);
  EXPECT_TRUE(opt.state_tensors().empty());
}

TEST(SGD, MomentumNesterovAndWeightDecayMatchTheReference) {
  struct Case {
    double mom, wd;
    bool nesterov;
  };
  for (Case c : {Case{0.0, 0.01, false}, Case{0.9, 0.0, false}, Case{0.9, 0.01, false}, Case{0.9, 0.01, true},
                 Case{0.5, 0.0, true}}) {
    Tensor p = param(kP0);
    optim::SGD opt({p}, {.lr = 0.1, .momentum = c.mom, .weight_decay = c.wd, .nesterov = c.nesterov});
    run_steps(opt, p, 3);
    expect_values(p, sgd_reference(0.1, c.mom, c.wd, c.nesterov), 1e-12);
    EXPECT_EQ(opt.step_count(), 3);
  }
  // Hand numbers for momentum 0.9, two steps: buf = g1, then 0.9 g1 + g2.
  Tensor p = param(kP0);
  optim::SGD opt({p}, {.lr = 0.1, .momentum = 0.9});
  run_steps(opt, p, 2);
  expect_values(p, {1.0 - 0.05 - 0.1 * (0.45 - 1.0), -2.0 - 0.1 - 0.1 * (0.9 + 0.25)}, 1e-12);
  auto state = opt.state_tensors();
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0].first, "0.momentum_buffer");
  expect_values(state[0].second, {0.45 - 1.0, 0.9 + 0.25}, 1e-12);
}

TEST(SGD, GradientIsNotModifiedAndUnusedParametersStay) {
  Tensor p = param(kP0), unused = param({3.0});
  optim::SGD opt({p, unused}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true});
  set_grad(p, kGrads[0]);
  opt.step();
  expect_values(p.grad(), kGrads[0], 0);
  expect_values(unused, {3.0}, 0);  // no gradient: no update, no decay
  EXPECT_EQ(error_of([&] { optim::SGD({p}, {.nesterov = true}); }), "SGD: Nesterov momentum needs momentum > 0");
  EXPECT_EQ(error_of([&] { optim::Adam({p, unused, p}); }),
            "Adam: parameter 2 appears twice (it would be updated twice per step)");
  EXPECT_EQ(error_of([&] { optim::SGD({from_vector(std::vector<double>{1}, {1})}); }),
            "SGD: parameter 0 must be a leaf tensor that requires grad");
}

TEST(Adam, FirstTwoStepsMatchTheReference) {
  Tensor p = param(kP0);
  optim::Adam opt({p}, {.lr = 1e-3});
  run_steps(opt, p, 1);
  // Step 1: m_hat / sqrt(v_hat) = g / |g|, so each entry moves by lr against its gradient.
  expect_values(p, {1.0 - 1e-3, -2.0 - 1e-3}, 1e-10);
  opt.zero_grad();
  set_grad(p, kGrads[1]);
  opt.step();
  expect_values(p, adam_reference(2, 1e-3, 0, false), 1e-12);
  auto state = opt.state_tensors();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].first, "0.exp_avg");
  EXPECT_EQ(state[1].first, "0.exp_avg_sq");
  expect_values(state[0].second, {0.9 * 0.05 + 0.1 * -1.0, 0.9 * 0.1 + 0.1 * 0.25}, 1e-12);

  Tensor q = param(kP0);
  optim::Adam l2({q}, {.lr = 1e-2, .weight_decay = 0.1});
  run_steps(l2, q, 2);
  expect_values(q, adam_reference(2, 1e-2, 0.1, false), 1e-12);
}

TEST(AdamW, DecoupledDecayMatchesTheReference) {
  Tensor p = param(kP0);
  optim::AdamW opt({p}, {.lr = 1e-2});  // default weight_decay 1e-2
  EXPECT_EQ(opt.options.weight_decay, 1e-2);
  EXPECT_EQ(opt.type_name(), "AdamW");
  run_steps(opt, p, 1);
  expect_values(p, {1.0 * (1 - 1e-4) - 1e-2, -2.0 * (1 - 1e-4) - 1e-2}, 1e-9);  // eps shifts it by ~2e-10
  opt.zero_grad();
  set_grad(p, kGrads[1]);
  opt.step();
  expect_values(p, adam_reference(2, 1e-2, 1e-2, true), 1e-12);
}

TEST(Optimizer, MetadataRoundTripAndErrors) {
  Tensor p = param(kP0);
  optim::Adam opt({p}, {.lr = 0.1 / 3});
  run_steps(opt, p, 2);
  optim::Metadata meta = opt.state_metadata();
  EXPECT_EQ(meta.at("type"), "Adam");
  EXPECT_EQ(meta.at("step"), "2");
  optim::Adam other({param(kP0)}, {.lr = 0.5});
  other.load_metadata(meta);
  EXPECT_EQ(other.step_count(), 2);
  EXPECT_EQ(other.lr(), 0.1 / 3);  // bit-exact through the text
  optim::SGD sgd({param(kP0)});
  EXPECT_EQ(error_of([&] { sgd.load_metadata(meta); }), "SGD: cannot load the state of a Adam optimizer");
  meta["step"] = "two";
  EXPECT_EQ(error_of([&] { other.load_metadata(meta); }), "Adam: malformed step count 'two'");
  meta.erase("lr");
  EXPECT_EQ(error_of([&] { other.load_metadata(meta); }), "Adam: optimizer state lacks 'lr'");
}

TEST(LRScheduler, CosineAnnealingValues) {
  optim::SGD opt({param(kP0)}, {.lr = 0.1});
  optim::CosineAnnealingLR sched(opt, 10, 0.001);
  EXPECT_DOUBLE_EQ(sched.lr_at(0), 0.1);
  EXPECT_NEAR(sched.lr_at(5), 0.0505, 1e-12);
  EXPECT_NEAR(sched.lr_at(10), 0.001, 1e-12);
  EXPECT_NEAR(sched.lr_at(20), 0.001, 1e-12);  // clamped after t_max
  EXPECT_NEAR(sched.lr_at(3), 0.001 + 0.099 * (1 + std::cos(std::numbers::pi * 0.3)) / 2, 1e-12);
  sched.step();
  sched.step();
  EXPECT_EQ(sched.epoch(), 2);
  EXPECT_NEAR(opt.lr(), 0.001 + 0.099 * (1 + std::cos(std::numbers::pi * 0.2)) / 2, 1e-12);
  sched.set_epoch(0);
  EXPECT_DOUBLE_EQ(opt.lr(), 0.1);
}

TEST(LRScheduler, StepDecayValues) {
  optim::Adam opt({param(kP0)}, {.lr = 0.1});
  optim::StepLR sched(opt, 3, 0.5);
  std::vector<double> lrs;
  for (int e = 0; e < 7; ++e) {
    sched.set_epoch(e);
    lrs.push_back(opt.lr());
  }
  expect_values(from_vector(lrs, {7}), {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025}, 1e-15);
}

TEST(ClipGradNorm, ScalesAllGradientsTogether) {
  Tensor a = param({0, 0}), b = param({0}), none = param({1});
  set_grad(a, {3, 4});
  set_grad(b, {12});
  EXPECT_NEAR(optim::clip_grad_norm_({a, b, none}, 20.0), 13.0, 1e-12);
  expect_values(a.grad(), {3, 4}, 0);  // under the limit: unchanged
  EXPECT_NEAR(optim::clip_grad_norm_({a, b, none}, 6.5), 13.0, 1e-12);
  const double c = 6.5 / (13 + 1e-6);
  expect_values(a.grad(), {3 * c, 4 * c}, 1e-12);
  expect_values(b.grad(), {12 * c}, 1e-12);
  EXPECT_NEAR(optim::clip_grad_norm_({a, b}, 100.0), 6.5, 1e-5);
  EXPECT_EQ(error_of([&] { optim::clip_grad_norm_({a}, 0.0); }), "clip_grad_norm_: max_norm must be positive, got 0");
}

// A contiguous parameter takes the fused kernel (FusedBackend::sgd_step /
// adam_step), a transposed one the reference op sequence: both must give the
// same values bit for bit (same dtype operations in the same order).
TEST(Optimizer, FusedPathEqualsTheOpSequencePath) {
  const std::vector<double> init{0.3, -1.2, 2.0, 0.7, -0.4, 1.5};
  const std::vector<std::vector<double>> grads{{0.5, 1.0, -0.2, 0.3, -0.9, 0.1},
                                               {-1.0, 0.25, 0.6, -0.7, 0.2, 0.4},
                                               {0.3, -0.7, 0.1, 0.9, -0.5, -0.3}};
  // Same values in a [2,3] contiguous leaf and a [2,3] transposed (strided) leaf.
  auto leaves = [&](DType dt) {
    Tensor a = raw::cast(from_vector(init, {2, 3}), dt);
    Tensor b = raw::transpose(raw::contiguous(raw::transpose(a, 0, 1)), 0, 1);
    EXPECT_TRUE(a.is_contiguous());
    EXPECT_FALSE(b.is_contiguous());
    a.requires_grad_();
    b.requires_grad_();
    return std::pair{a, b};
  };
  auto run = [&](optim::Optimizer& opt, const Tensor& p) {
    for (const auto& g : grads) {
      opt.zero_grad();
      (p * from_vector(g, {2, 3}).to(p.dtype())).sum().backward();
      opt.step();
    }
  };
  for (DType dt : {DType::f32, DType::f64}) {
    for (int kind = 0; kind < 4; ++kind) {
      auto [a, b] = leaves(dt);
      auto make = [&](const Tensor& p) -> std::unique_ptr<optim::Optimizer> {
        if (kind == 0) return std::make_unique<optim::SGD>(std::vector<Tensor>{p}, optim::SGDOptions{0.1, 0.9, 0.01, false});
        if (kind == 1) return std::make_unique<optim::SGD>(std::vector<Tensor>{p}, optim::SGDOptions{0.1, 0.9, 0.01, true});
        if (kind == 2) return std::make_unique<optim::Adam>(std::vector<Tensor>{p}, optim::AdamOptions{1e-2, 0.9, 0.999, 1e-8, 0.1});
        return std::make_unique<optim::AdamW>(std::vector<Tensor>{p}, optim::AdamWOptions{1e-2, 0.9, 0.999, 1e-8, 0.1});
      };
      auto fused = make(a), reference = make(b);
      run(*fused, a);
      run(*reference, b);
      expect_values(a, b.to_vector<double>(), 0);
      auto sa = fused->state_tensors(), sb = reference->state_tensors();
      ASSERT_EQ(sa.size(), sb.size());
      for (size_t i = 0; i < sa.size(); ++i) expect_values(sa[i].second, sb[i].second.to_vector<double>(), 0);
    }
  }
}
