// The NaN/Inf guard of training loops (nn/nonfinite.h): policy parsing, the
// loss and gradient checks, skipping that leaves parameters and momentum
// untouched, the consecutive-skip limit and its reset by a good step.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "autograd/functions.h"
#include "nn/batchnorm.h"
#include "nn/nonfinite.h"
#include "nn/optim/sgd.h"
#include "test_nn_util.h"

using namespace nf;
using namespace nf::nn_test;
using Verdict = nn::NonFiniteGuard::Verdict;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// An f32 parameter (as in training) with the given values.
Tensor param(const std::vector<double>& v) {
  Tensor p = raw::cast(from_vector(v, {int64_t(v.size())}), DType::f32);
  p.requires_grad_();
  return p;
}

// Makes p.grad() == g (Inf and NaN included) without a backward: the guard
// only reads .grad(), so a backward through inf * p (which gives NaN, not Inf)
// is not needed. One backward of p * 0 creates the gradient buffer.
void set_grad(const Tensor& p, const std::vector<double>& g) {
  p.zero_grad_();
  (p * raw::cast(zeros(p.shape()), p.dtype())).sum().backward();
  set_values(p.grad(), g);
}

nn::NonFiniteGuard skipping(int64_t k) { return nn::NonFiniteGuard({.policy = nn::OnNonFinite::skip, .max_consecutive_skips = k}); }

}  // namespace

TEST(NonFinite, ParsesThePolicyAndNamesTheFlagOnError) {
  EXPECT_EQ(nn::parse_on_nonfinite("fail", "--on-nonfinite"), nn::OnNonFinite::fail);
  EXPECT_EQ(nn::parse_on_nonfinite("skip", "--on-nonfinite"), nn::OnNonFinite::skip);
  EXPECT_STREQ(nn::on_nonfinite_name(nn::OnNonFinite::skip), "skip");
  EXPECT_STREQ(nn::on_nonfinite_name(nn::OnNonFinite::fail), "fail");
  const std::string e = error_of([] { nn::parse_on_nonfinite("Skip", "nasforge train: --on-nonfinite"); });
  EXPECT_EQ(e, "nasforge train: --on-nonfinite must be fail or skip, got 'Skip'");
  EXPECT_NE(error_of([] { nn::NonFiniteGuard g({.max_consecutive_skips = 0}); }).find("max_consecutive_skips"),
            std::string::npos);
}

TEST(NonFinite, FiniteStepIsUntouched) {
  Tensor a = param({1, 2}), b = param({3});
  set_grad(a, {0.5, -1.5});
  set_grad(b, {1e30});  // huge but finite: no false alarm from the summing check
  auto guard = skipping(3);
  EXPECT_EQ(guard.check_loss(2.5), Verdict::step);
  EXPECT_EQ(guard.check_step(2.5, {a, b}), Verdict::step);
  expect_values(a.grad(), {0.5, -1.5});
  expect_values(b.grad(), {1e30}, 1e24);
  EXPECT_EQ(guard.skipped(), 0);
  EXPECT_TRUE(guard.reason().empty());
  EXPECT_TRUE(std::isnan(guard.grad_norm()));  // no clipping asked: no norm computed
}

TEST(NonFinite, ClippingIsTheCheckAndReportsTheNorm) {
  Tensor a = param({1, 2});
  set_grad(a, {3, 4});  // norm 5
  nn::NonFiniteGuard guard;
  EXPECT_EQ(guard.check_step(1.0, {a}, 1.0), Verdict::step);
  EXPECT_NEAR(guard.grad_norm(), 5.0, 1e-6);
  expect_values(a.grad(), {0.6, 0.8}, 1e-5);  // clipped to norm 1, as clip_grad_norm_
}

TEST(NonFinite, NaNLossFailsUnderFailAndSkipsUnderSkip) {
  nn::NonFiniteGuard fail;
  EXPECT_EQ(fail.check_loss(kNaN), Verdict::fail);
  EXPECT_EQ(fail.reason(), "loss became nan");
  EXPECT_EQ(fail.skipped(), 0);
  EXPECT_EQ(fail.check_loss(-kInf), Verdict::fail);
  EXPECT_EQ(fail.reason(), "loss became -inf");

  Tensor a = param({1, 2});
  set_grad(a, {0.5, 0.5});
  auto skip = skipping(10);
  EXPECT_EQ(skip.check_step(kInf, {a}), Verdict::skip);
  EXPECT_EQ(skip.reason(), "loss became inf");
  EXPECT_EQ(skip.skipped(), 1);
  EXPECT_FALSE(a.grad().defined());  // dropped: nothing can reach the optimizer
}

TEST(NonFinite, InfOrNaNGradientWithAFiniteLossIsCaught) {
  for (double bad : {kInf, -kInf, kNaN})
    for (double clip : {0.0, 5.0}) {
      Tensor a = param({1, 2}), b = param({3});
      set_grad(a, {0.5, bad});
      set_grad(b, {1});
      nn::NonFiniteGuard fail;
      EXPECT_EQ(fail.check_step(0.7, {a, b}, clip), Verdict::fail) << bad << " clip " << clip;
      EXPECT_NE(fail.reason().find("gradients became non-finite"), std::string::npos) << fail.reason();
      EXPECT_NE(fail.reason().find("finite loss 0.7"), std::string::npos) << fail.reason();
      if (clip > 0) {
        EXPECT_FALSE(std::isfinite(fail.grad_norm()));
      }

      set_grad(a, {0.5, bad});
      auto skip = skipping(10);
      EXPECT_EQ(skip.check_step(0.7, {a, b}, clip), Verdict::skip);
      EXPECT_EQ(skip.skipped(), 1);
      EXPECT_FALSE(a.grad().defined());
      EXPECT_FALSE(b.grad().defined());
    }
  // Inf and -Inf in different tensors sum to NaN: still caught.
  Tensor a = param({1}), b = param({1});
  set_grad(a, {kInf});
  set_grad(b, {-kInf});
  EXPECT_FALSE(nn::gradients_finite({a, b}));
  set_grad(b, {1});
  set_grad(a, {2});
  EXPECT_TRUE(nn::gradients_finite({a, b}));
  EXPECT_TRUE(nn::gradients_finite({param({1})}));  // no gradient at all: nothing non-finite
}

TEST(NonFinite, ASkippedStepLeavesParametersAndMomentumAsTheyWere) {
  Tensor a = param({1, -2});
  optim::SGD opt({a}, {.lr = 0.1, .momentum = 0.9});
  auto guard = skipping(10);
  // One good step builds a momentum buffer.
  set_grad(a, {0.5, 1.0});
  ASSERT_EQ(guard.check_step(1.0, {a}), Verdict::step);
  opt.step();
  const std::vector<double> p1 = a.to_vector<double>();
  const std::vector<double> m1 = opt.state_tensors()[0].second.to_vector<double>();
  // A step with an Inf gradient is skipped: the loop does not call the optimizer.
  set_grad(a, {kInf, 1.0});
  ASSERT_EQ(guard.check_step(1.0, {a}), Verdict::skip);
  expect_values(a, p1, 0);
  expect_values(opt.state_tensors()[0].second, m1, 0);
  EXPECT_EQ(opt.step_count(), 1);
  // The next good step continues from there, as if the bad batch never came.
  set_grad(a, {0.5, 1.0});
  ASSERT_EQ(guard.check_step(1.0, {a}), Verdict::step);
  opt.step();
  // momentum buffer: 0.9 * m1 + g; p -= 0.1 * buffer
  expect_values(a, {p1[0] - 0.1 * (0.9 * m1[0] + 0.5), p1[1] - 0.1 * (0.9 * m1[1] + 1.0)});
}

TEST(NonFinite, KConsecutiveSkipsThenTheNextFails) {
  auto guard = skipping(3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(guard.check_loss(kNaN), Verdict::skip) << i;
  EXPECT_EQ(guard.skipped(), 3);
  EXPECT_EQ(guard.consecutive_skipped(), 3);
  EXPECT_EQ(guard.check_loss(kNaN), Verdict::fail);
  EXPECT_EQ(guard.reason(),
            "training diverged: 4 non-finite steps in a row (at most 3 may be skipped in a row; 3 skipped in all); "
            "the last: loss became nan");
  EXPECT_EQ(guard.skipped(), 3);  // the failing step is not a skipped one
}

TEST(NonFinite, AFiniteStepResetsTheConsecutiveCount) {
  Tensor a = param({1});
  auto guard = skipping(2);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(guard.check_loss(kNaN), Verdict::skip);
    set_grad(a, {kNaN});
    EXPECT_EQ(guard.check_step(1.0, {a}), Verdict::skip);
    EXPECT_EQ(guard.consecutive_skipped(), 2);
    set_grad(a, {1});
    EXPECT_EQ(guard.check_step(1.0, {a}), Verdict::step) << round;
    EXPECT_EQ(guard.consecutive_skipped(), 0);
  }
  EXPECT_EQ(guard.skipped(), 6);  // far more than 2 in all, but never more than 2 in a row
  EXPECT_EQ(guard.check_loss(kInf), Verdict::skip);
  EXPECT_EQ(guard.check_loss(kInf), Verdict::skip);
  EXPECT_EQ(guard.check_loss(kInf), Verdict::fail);
  EXPECT_NE(guard.reason().find("8 skipped in all"), std::string::npos) << guard.reason();
}

TEST(NonFinite, BufferSnapshotUndoesASkippedStepsRunningStatistics) {
  auto bn = nn::BatchNorm2d(2, {.momentum = 0.5});
  bn->train();
  nn::BufferSnapshot snapshot(*bn);
  // A good batch moves the running mean; the snapshot taken before it is not the state kept.
  snapshot.save();
  bn->forward(raw::cast(full({4, 2, 2, 2}, 2.0), DType::f32));
  expect_values(bn->running_mean, {1.0, 1.0});  // 0.5 * 0 + 0.5 * 2
  // A NaN batch poisons it; restore() after the skip puts back the state before that step.
  snapshot.save();
  Tensor bad = raw::cast(full({4, 2, 2, 2}, 1.0), DType::f32);
  bad.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  bn->forward(bad);
  EXPECT_TRUE(std::isnan(bn->running_mean.to_vector<double>()[0]));
  snapshot.restore();
  expect_values(bn->running_mean, {1.0, 1.0});
  expect_values(bn->running_var, {0.5, 0.5});  // 0.5 * 1 + 0.5 * 0 (constant batch)
}
