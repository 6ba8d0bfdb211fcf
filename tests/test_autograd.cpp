// Autograd engine and graph semantics: accumulation, zero_grad, retain_graph,
// grad mode, grad() vs .grad, version counters, diamonds, broadcasting, leaf
// rules, deep graphs.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "autograd/node.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

using namespace nf;
namespace ag = nf::autograd;

namespace {

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

Tensor leaf(const std::vector<double>& v, const Shape& shape) {
  Tensor t = from_vector(v, shape);
  t.requires_grad_();
  return t;
}

void expect_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-12) {
  ASSERT_TRUE(t.defined());
  auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

}  // namespace

TEST(Autograd, LeafGradientsAccumulateAcrossBackwardCalls) {
  Tensor w = leaf({1, -2, 3}, {3});
  sum(w * w).backward();
  expect_values(w.grad(), {2, -4, 6});
  sum(w * w).backward();  // a fresh graph: adds to .grad
  expect_values(w.grad(), {4, -8, 12});
  sum(3.0 * w).backward();
  expect_values(w.grad(), {7, -5, 15});
}

TEST(Autograd, ZeroGradDropsTheGradient) {
  Tensor w = leaf({1, 2}, {2});
  sum(w * w).backward();
  w.zero_grad_();
  EXPECT_FALSE(w.grad().defined());
  sum(w).backward();
  expect_values(w.grad(), {1, 1});
}

TEST(Autograd, GradIsNotAnAliasOfTheSeed) {
  Tensor x = leaf({1, 2}, {2});
  Tensor seed = from_vector<double>({5, 7}, {2});
  x.backward(seed);
  raw::fill_(seed, 0.0);
  expect_values(x.grad(), {5, 7});
}

TEST(Autograd, RetainGraphAllowsASecondBackward) {
  Tensor a = leaf({2, 3}, {2});
  Tensor b = leaf({5, 7}, {2});
  Tensor y = sum(a * b);
  y.backward({}, /*retain_graph=*/true);
  y.backward();
  expect_values(a.grad(), {10, 14});
  expect_values(b.grad(), {4, 6});
  std::string err = error_of([&] { y.backward(); });
  EXPECT_NE(err.find("backward through mul a second time"), std::string::npos) << err;
  EXPECT_NE(err.find("retain_graph=true"), std::string::npos) << err;
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor a = leaf({1, 2}, {2});
  EXPECT_TRUE(ag::GradMode::is_enabled());
  {
    ag::NoGradGuard guard;
    EXPECT_FALSE(ag::GradMode::is_enabled());
    Tensor y = exp(a * a);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
    {
      ag::NoGradGuard nested;
    }
    EXPECT_FALSE(ag::GradMode::is_enabled());
  }
  EXPECT_TRUE(ag::GradMode::is_enabled());
  EXPECT_TRUE((a * a).requires_grad());
}

TEST(Autograd, OpsWithoutGradInputsRecordNothing) {
  Tensor a = from_vector<double>({1, 2}, {2});
  Tensor y = exp(a) + 1.0;
  EXPECT_FALSE(y.requires_grad());
  EXPECT_FALSE(y.impl().autograd);
  std::string err = error_of([&] { sum(y).backward(); });
  EXPECT_NE(err.find("does not require grad"), std::string::npos) << err;
}

TEST(Autograd, SavesOnlyWhatBackwardReads) {
  Tensor a = leaf({1, 2}, {2});
  Tensor b = from_vector<double>({3, 4}, {2});  // no grad: a is not needed
  Tensor y = a * b;
  const auto& node = y.impl().autograd->grad_fn;
  ASSERT_EQ(node->saved.size(), 2u);
  EXPECT_FALSE(node->saved[0].unpack("mul").defined());
  EXPECT_TRUE(node->saved[1].unpack("mul").defined());
  sum(y).backward();
  expect_values(a.grad(), {3, 4});
  EXPECT_FALSE(b.grad().defined());
}

TEST(Autograd, GradReturnsGradientsWithoutTouchingDotGrad) {
  Tensor w = leaf({1, 2, 3}, {3});
  Tensor alpha = leaf({0.5}, {1});
  sum(w).backward();  // an existing .grad must stay as it is
  Tensor loss = sum(w * w * alpha);
  auto g = ag::grad({loss}, {alpha}, {}, /*retain_graph=*/true);
  ASSERT_EQ(g.size(), 1u);
  expect_values(g[0], {14});
  auto gw = ag::grad({loss}, {w, alpha});
  expect_values(gw[0], {1, 2, 3});
  expect_values(gw[1], {14});
  expect_values(w.grad(), {1, 1, 1});
  EXPECT_FALSE(alpha.grad().defined());
}

TEST(Autograd, GradWithRespectToANonLeaf) {
  Tensor x = leaf({1, 2}, {2});
  Tensor h = x * 3.0;
  Tensor y = sum(h * h);
  auto g = ag::grad({y}, {h, x});
  expect_values(g[0], {6, 12});   // 2h
  expect_values(g[1], {18, 36});  // 2h * 3
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, GradUnusedInputAndRepeatedInput) {
  Tensor x = leaf({1, 2}, {2});
  Tensor unused = leaf({1}, {1});
  Tensor y = sum(x * x);
  std::string err = error_of([&] { ag::grad({y}, {x, unused}, {}, true); });
  EXPECT_NE(err.find("input 1 is not used"), std::string::npos) << err;
  auto g = ag::grad({y}, {x, unused, x}, {}, false, /*allow_unused=*/true);
  expect_values(g[0], {2, 4});
  EXPECT_FALSE(g[1].defined());
  expect_values(g[2], {2, 4});
}

TEST(Autograd, ModifiedSavedTensorIsRefused) {
  Tensor a = leaf({1, 2}, {2});
  Tensor b = from_vector<double>({3, 4}, {2});
  Tensor y = sum(a * b);  // mul saves b
  raw::add_(b, ones({2}, {DType::f64}));
  std::string err = error_of([&] { y.backward(); });
  EXPECT_EQ(err,
            "autograd: a tensor saved by mul was modified in place (version 1, expected 0); use an "
            "out-of-place op, or clone the tensor before modifying it");
}

TEST(Autograd, ModifiedSavedOutputIsRefused) {
  Tensor a = leaf({1, 2}, {2});
  Tensor y = exp(a);  // exp saves its output
  raw::mul_(y, 2.0);
  std::string err = error_of([&] { sum(y).backward(); });
  EXPECT_NE(err.find("saved by exp was modified in place"), std::string::npos) << err;
}

TEST(Autograd, DiamondGraphSumsGradients) {
  Tensor a = leaf({0.5, -1}, {2});
  Tensor y = exp(a);
  Tensor z = sum(y * y + y);  // y used three times
  z.backward();
  auto av = a.to_vector<double>();
  std::vector<double> want;
  for (double v : av) want.push_back((2 * std::exp(v) + 1) * std::exp(v));
  expect_values(a.grad(), want);
}

TEST(Autograd, SameTensorTwiceInOneOp) {
  Tensor a = leaf({3, -2}, {2});
  sum(a * a).backward();
  expect_values(a.grad(), {6, -4});
}

TEST(Autograd, BroadcastGradientsReduceToTheInputShape) {
  Tensor a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = leaf({10, 20, 30}, {3});
  Tensor c = leaf({7, 8}, {2, 1});
  sum(a * b + c).backward();
  EXPECT_EQ(b.grad().shape(), (Shape{3}));
  EXPECT_EQ(c.grad().shape(), (Shape{2, 1}));
  expect_values(a.grad(), {10, 20, 30, 10, 20, 30});
  expect_values(b.grad(), {5, 7, 9});
  expect_values(c.grad(), {3, 3});
}

TEST(Autograd, RequiresGradOnANonLeafThrows) {
  Tensor a = leaf({1}, {1});
  Tensor y = a * 2.0;
  std::string err = error_of([&] { y.requires_grad_(false); });
  EXPECT_NE(err.find("only leaf tensors can change requires_grad"), std::string::npos) << err;
  EXPECT_NE(err.find("mul_scalar"), std::string::npos) << err;
  Tensor idx = arange(3);
  err = error_of([&] { idx.requires_grad_(); });
  EXPECT_NE(err.find("only floating tensors"), std::string::npos) << err;
}

TEST(Autograd, LeafFlagsAndDetach) {
  Tensor a = leaf({1, 2}, {2});
  Tensor y = a * 2.0;
  EXPECT_TRUE(a.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  EXPECT_TRUE(y.requires_grad());
  Tensor d = y.detach();
  EXPECT_TRUE(d.is_leaf());
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.same_data(y));
}

TEST(Autograd, BackwardNeedsAGradientForNonScalars) {
  Tensor a = leaf({1, 2}, {2});
  Tensor y = a * 3.0;
  std::string err = error_of([&] { y.backward(); });
  EXPECT_NE(err.find("a gradient must be given for non-scalar output 0 of shape [2]"), std::string::npos)
      << err;
  y.backward(from_vector<double>({1, 10}, {2}));
  expect_values(a.grad(), {3, 30});
  err = error_of([&] { (a * 3.0).backward(from_vector<double>({1, 2, 3}, {3})); });
  EXPECT_NE(err.find("has shape [3]"), std::string::npos) << err;
}

TEST(Autograd, MultipleRoots) {
  Tensor a = leaf({1, 2}, {2});
  ag::backward({sum(a * a), sum(a)});
  expect_values(a.grad(), {3, 5});
}

TEST(Autograd, ViewsAndMemberFunctionsCarryGradients) {
  Tensor a = leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor y = a.t().reshape({3, 2}).slice(0, 1, 3).sum();  // elements a[0,1],a[1,1],a[0,2],a[1,2]
  y.backward();
  expect_values(a.grad(), {0, 1, 1, 0, 1, 1});
}

TEST(Autograd, CastToAnIntegerDtypeCarriesNoGradient) {
  Tensor a = leaf({1.5, 2.5}, {2});
  Tensor i = a.to(DType::i64);
  EXPECT_FALSE(i.requires_grad());
  Tensor f = a.to(DType::f32);
  EXPECT_TRUE(f.requires_grad());
  f.sum().backward();
  EXPECT_EQ(a.grad().dtype(), DType::f64);
  expect_values(a.grad(), {1, 1});
}

TEST(Autograd, BatchNormTrainingUpdatesRunningStatistics) {
  Tensor x = leaf({1, 2, 3, 5}, {2, 2});  // channel means 2 and 3.5, unbiased vars 2 and 4.5
  Tensor rm = zeros({2}, {DType::f64}), rv = ones({2}, {DType::f64});
  Tensor y = batch_norm(x, {}, {}, rm, rv, /*training=*/true, /*momentum=*/0.1);
  expect_values(rm, {0.2, 0.35});
  expect_values(rv, {0.9 + 0.2, 0.9 + 0.45});
  expect_values(y, {-1, -1, 1, 1}, 1e-4);
  batch_norm(x, {}, {}, rm, rv, /*training=*/false);
  expect_values(rm, {0.2, 0.35});
}

TEST(Autograd, DeepGraphsNeedNoRecursion) {
  Tensor x = leaf({1}, {1});
  Tensor y = x;
  const int depth = 200000;
  for (int i = 0; i < depth; ++i) y = y + 1e-6;
  y.sum().backward();
  expect_values(x.grad(), {1});
  y = Tensor{};  // frees the chain without deep destructor recursion
}
