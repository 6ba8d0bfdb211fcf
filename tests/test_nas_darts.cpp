// DARTS (nas/mixed_op.h, nas/supernet_*.h, nas/darts_search.h): MixedOp
// gradchecks, the supernets' shapes and parameter split, the second-order
// architecture gradient against brute-force finite differences, derivation on
// hand-made weights, a short search on a task where one op is clearly right,
// and resume-per-epoch equivalence.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "data/dataset.h"
#include "nas/darts_search.h"
#include "nas/mixed_op.h"
#include "nas/notation.h"
#include "nas/supernet_darts.h"
#include "nas/supernet_nb201.h"
#include "nn/nn.h"
#include "tensor/error.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"
#include "tests/temp_dir.h"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace nf;
using namespace nf::nas;

namespace {

using nf::testing::TempDir;

NetworkConfig tiny_network(int64_t side, int64_t classes, int64_t channels, int64_t cells) {
  NetworkConfig c;
  c.image_shape = {1, side, side};
  c.num_classes = classes;
  c.channels = channels;
  c.cells = cells;
  return c;
}

void set_tensor(const Tensor& t, const std::vector<double>& v) {
  raw::copy_(t, raw::cast(from_vector(v, t.shape()), t.dtype()));
}

std::vector<double> values(const Tensor& t) { return raw::cast(t.detach(), DType::f64).to_vector<double>(); }

// Random labels in [0, classes) as i64 [n].
Tensor random_labels(int64_t n, int64_t classes, Generator& gen) {
  std::vector<int64_t> y(static_cast<size_t>(n));
  for (auto& v : y) v = gen.randint(classes);
  return from_vector(y, {n});
}

}  // namespace

// --- MixedOp -------------------------------------------------------------------

TEST(MixedOp, IsTheWeightedSumOfItsOpsAndSkipsTheZeroOp) {
  manual_seed(1);
  auto conv = nn::Conv2d(2, 2, 1, {.bias = false});
  auto mixed = MixedOp({nn::Zero(1), nn::Identity(), nn::AvgPool2d(3, {.stride = 1, .padding = 1}), conv});
  EXPECT_EQ(mixed->num_ops(), 4);
  EXPECT_EQ(mixed->named_parameters().size(), 1u);
  EXPECT_EQ(mixed->named_parameters()[0].first, "_ops.3.weight");
  const Tensor x = randn({2, 2, 3, 3});
  const Tensor w = tensor({0.1f, 0.2f, 0.3f, 0.4f});
  const std::vector<double> got = values(mixed->forward(x, w));
  const std::vector<double> id = values(x), pool = values(mixed->op(2)->forward(x)), cv = values(conv->forward(x));
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], 0.2 * id[i] + 0.3 * pool[i] + 0.4 * cv[i], 1e-5);
  // Only zero ops: zeros of the op's shape.
  auto zeros_only = MixedOp({nn::Zero(2)});
  const Tensor z = zeros_only->forward(x, tensor({1.0f}));
  EXPECT_EQ(z.shape(), (Shape{2, 2, 2, 2}));
  for (double v : values(z)) EXPECT_EQ(v, 0.0);
  try {
    mixed->forward(x, tensor({0.5f, 0.5f}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("MixedOp: expected weights [4]"), std::string::npos) << e.what();
  }
}

TEST(MixedOp, GradcheckThroughTheSoftmaxOfAlpha) {
  manual_seed(2);
  auto conv = nn::Conv2d(2, 2, 1, {.bias = false});
  auto mixed = MixedOp({nn::Zero(1), nn::Identity(), nn::AvgPool2d(3, {.stride = 1, .padding = 1}), conv});
  mixed->to(DType::f64);
  Tensor x = raw::cast(randn({2, 2, 3, 3}), DType::f64);
  x.requires_grad_(true);
  Tensor alpha = raw::cast(randn({4}), DType::f64);
  alpha.requires_grad_(true);
  const auto report = autograd::gradcheck(
      [&](const std::vector<Tensor>& in) { return mixed->forward(in[0], softmax(in[1], 0)); },
      {x, alpha, conv->weight});
  EXPECT_TRUE(report.ok) << report.message;
  EXPECT_GT(report.backward_passes, 0);
}

// --- supernets -------------------------------------------------------------------

TEST(DartsSupernet, ShapesAlphasAndSearchTimeBatchNorm) {
  manual_seed(3);
  DartsSupernetImpl net(tiny_network(8, 3, 2, 3));
  EXPECT_EQ(net.forward(randn({2, 1, 8, 8})).shape(), (Shape{2, 3}));
  const auto alphas = net.arch_parameters();
  ASSERT_EQ(alphas.size(), 2u);
  for (const Tensor& a : alphas) EXPECT_EQ(a.shape(), (Shape{14, 8}));
  EXPECT_LT(std::abs(values(alphas[0])[0]), 0.01);  // 1e-3 * N(0, 1)
  EXPECT_EQ(net.weight_parameters().size() + 2, net.parameters().size());
  for (const Tensor& w : net.weight_parameters())
    for (const Tensor& a : alphas) EXPECT_FALSE(w.same_data(a));
  // No learned BN scale/shift inside the cells: every cell parameter is a conv kernel.
  int64_t cell_params = 0;
  for (const auto& [name, p] : net.named_parameters()) {
    if (name.rfind("cells.", 0) != 0) continue;
    ++cell_params;
    EXPECT_EQ(p.dim(), 4) << name;
  }
  EXPECT_GT(cell_params, 0);
  const auto names = net.named_parameters();
  EXPECT_EQ(names[0].first, "alphas_normal");
  EXPECT_EQ(net.edge_names().front(), "2<-0");
  EXPECT_EQ(net.edge_names().back(), "5<-4");
  EXPECT_EQ(net.op_names()[4], "sep_conv_3x3");
  const json j = net.alphas_json();
  ASSERT_EQ(j["normal"].size(), 14u);
  double row_sum = 0;
  for (const auto& p : j["reduce"][5]) row_sum += p.get<double>();
  EXPECT_NEAR(row_sum, 1.0, 1e-6);
}

TEST(Nb201Supernet, ShapesAndOneSharedAlpha) {
  manual_seed(4);
  Nb201SupernetImpl net(tiny_network(8, 5, 2, 2));
  EXPECT_EQ(net.forward(randn({3, 1, 8, 8})).shape(), (Shape{3, 5}));
  ASSERT_EQ(net.arch_parameters().size(), 1u);
  EXPECT_EQ(net.arch_parameters()[0].shape(), (Shape{6, 5}));
  EXPECT_EQ(net.named_parameters()[0].first, "alphas_cell");
  EXPECT_EQ(net.edge_names(), (std::vector<std::string>{"1<-0", "2<-0", "2<-1", "3<-0", "3<-1", "3<-2"}));
  EXPECT_TRUE(std::holds_alternative<Nb201Genotype>(net.derive()));
}

// --- the architecture gradient -----------------------------------------------------------

// grad_α of F(α) = L_val(w - xi (grad_w L_train(w, α) + wd w), α) by central differences.
std::vector<double> brute_force_arch_gradient(SupernetImpl& net, const Tensor& xt, const Tensor& yt, const Tensor& xv,
                                              const Tensor& yv, double xi, double wd) {
  const std::vector<Tensor> w = net.weight_parameters();
  const Tensor alpha = net.arch_parameters()[0];
  std::vector<Tensor> w0;
  for (const Tensor& p : w) w0.push_back(raw::clone(p.detach()));
  auto objective = [&] {
    std::vector<Tensor> g = autograd::grad({cross_entropy(net.forward(xt), yt)}, w, {}, false, true);
    for (size_t i = 0; i < w.size(); ++i) {
      if (g[i].defined()) raw::add_(w[i], g[i], -xi);
      raw::add_(w[i], w0[i], -xi * wd);
    }
    double l;
    {
      autograd::NoGradGuard no_grad;
      l = cross_entropy(net.forward(xv), yv).item();
    }
    for (size_t i = 0; i < w.size(); ++i) raw::copy_(w[i], w0[i]);
    return l;
  };
  const double h = 1e-5;
  std::vector<double> a = values(alpha), out(a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    std::vector<double> shifted = a;
    shifted[i] = a[i] + h;
    set_tensor(alpha, shifted);
    const double up = objective();
    shifted[i] = a[i] - h;
    set_tensor(alpha, shifted);
    const double down = objective();
    out[i] = (up - down) / (2 * h);
  }
  set_tensor(alpha, a);
  return out;
}

// A supernet without kinks (no ReLU, no max): stem conv, two mixed edges, BN,
// global average pool, linear. On it the finite-difference Hessian-vector
// product with the default radius (0.01 / ||v||) is accurate to O(radius^2).
class SmoothSupernet : public SupernetImpl {
 public:
  SmoothSupernet() : SupernetImpl("SmoothSupernet") {
    stem_ = register_module("stem", nn::Conv2d(1, 2, 3, {.padding = 1}));
    for (int e = 0; e < 2; ++e)
      edges_.push_back(register_module(
          "edge" + std::to_string(e),
          MixedOp({nn::Zero(1), nn::Identity(), nn::AvgPool2d(3, {.stride = 1, .padding = 1}),
                   nn::Sequential(nn::Conv2d(2, 2, 3, {.padding = 1, .bias = false}), nn::BatchNorm2d(2, {.affine = false})),
                   nn::Sequential(nn::Conv2d(2, 2, 1), nn::Tanh())})));
    classifier_ = register_module("classifier", nn::Linear(2, 3));
    alpha_ = register_alpha("cell", raw::mul_scalar(randn({2, 5}), 1e-3));
  }
  Tensor forward(const Tensor& x) override {
    const Tensor w = softmax(alpha_, -1);
    Tensor h = stem_->forward(x);
    h = edges_[0]->forward(h, select(w, 0, 0));
    h = edges_[1]->forward(h, select(w, 0, 1));
    return classifier_->forward(mean(h, {2, 3}));
  }
  std::string space_name() const override { return "nb201"; }
  std::vector<std::string> op_names() const override { return {"none", "skip", "avg", "conv_bn", "conv_tanh"}; }
  std::vector<std::string> edge_names() const override { return {"1<-0", "2<-1"}; }
  Genotype derive() const override { return Nb201Genotype{}; }
  Tensor alpha_;

 private:
  std::shared_ptr<nn::Conv2dImpl> stem_;
  std::vector<std::shared_ptr<MixedOpImpl>> edges_;
  std::shared_ptr<nn::LinearImpl> classifier_;
};

// Checks arch_gradient(xi) against brute force on `net` (f64) for a random
// batch, and that xi = 0 is the first-order gradient.
void check_second_order(SupernetImpl& net, const DartsSearchOptions& o, int64_t batch, int64_t side, double xi,
                        double rtol) {
  Generator gen(5);
  const Tensor xt = raw::cast(randn({batch, 1, side, side}, {}, &gen), DType::f64);
  const Tensor xv = raw::cast(randn({batch, 1, side, side}, {}, &gen), DType::f64);
  const Tensor yt = random_labels(batch, 3, gen), yv = random_labels(batch, 3, gen);
  BilevelOptimizer opt(net, o);

  const std::vector<Tensor> w = net.weight_parameters();
  std::vector<std::vector<double>> w_before;
  for (const Tensor& p : w) w_before.push_back(values(p));
  const std::vector<double> g2 = values(opt.arch_gradient(xt, yt, xv, yv, xi).grads[0]);
  // w is restored exactly and no .grad was written.
  for (size_t i = 0; i < w.size(); ++i) {
    EXPECT_EQ(values(w[i]), w_before[i]) << "weight " << i;
    EXPECT_FALSE(w[i].grad().defined());
  }
  EXPECT_FALSE(net.arch_parameters()[0].grad().defined());

  const std::vector<double> fd2 = brute_force_arch_gradient(net, xt, yt, xv, yv, xi, o.weight_decay);
  const std::vector<double> g1 = values(opt.arch_gradient(xt, yt, xv, yv, 0).grads[0]);
  const std::vector<double> fd1 = brute_force_arch_gradient(net, xt, yt, xv, yv, 0, 0);
  double scale = 0, second_order_term = 0;
  for (size_t i = 0; i < fd2.size(); ++i) {
    scale = std::max(scale, std::abs(fd2[i]));
    second_order_term = std::max(second_order_term, std::abs(fd2[i] - fd1[i]));
  }
  ASSERT_GT(scale, 1e-4);
  EXPECT_GT(second_order_term, 20 * rtol * scale) << "the test would not tell first from second order";
  for (size_t i = 0; i < fd2.size(); ++i) {
    EXPECT_NEAR(g2[i], fd2[i], rtol * scale) << "second order, alpha " << i;
    EXPECT_NEAR(g1[i], fd1[i], 1e-7 * std::max(1.0, scale)) << "first order, alpha " << i;
  }
}

TEST(BilevelOptimizer, SecondOrderArchGradientMatchesBruteForceFiniteDifferences) {
  manual_seed(5);
  SmoothSupernet net;
  net.to(DType::f64);
  {  // a larger α than the initial 1e-3 noise, so the softmax is not flat
    autograd::NoGradGuard no_grad;
    raw::copy_(net.alpha_, raw::cast(randn({2, 5}), DType::f64));
  }
  DartsSearchOptions o;  // the paper's settings: weight decay 3e-4, radius 0.01
  o.order = 2;
  check_second_order(net, o, 6, 5, /*xi=*/0.2, /*rtol=*/2e-3);
}

// The NB201 supernet has ReLUs: a finite-difference step of 0.01 in weight
// space crosses kinks (see nas/darts_search.h), so its exact chain rule is
// checked with a small radius.
TEST(BilevelOptimizer, SecondOrderArchGradientOfTheNb201SupernetIsTheChainRule) {
  manual_seed(6);
  Nb201SupernetImpl net(tiny_network(8, 3, 3, 1));
  net.to(DType::f64);
  {
    autograd::NoGradGuard no_grad;
    raw::copy_(net.alphas_cell, raw::cast(randn({6, 5}), DType::f64));
  }
  DartsSearchOptions o;
  o.order = 2;
  o.hessian_radius = 1e-5;
  check_second_order(net, o, 8, 8, /*xi=*/0.05, /*rtol=*/2e-3);
}

TEST(BilevelOptimizer, StepMovesAlphaByAdamAndTheWeightsBySgd) {
  manual_seed(6);
  Generator gen(6);
  Nb201SupernetImpl net(tiny_network(4, 3, 2, 1));
  DartsSearchOptions o;
  BilevelOptimizer opt(net, o);
  EXPECT_EQ(opt.xi(), 0.0);
  const std::vector<double> a0 = values(net.alphas_cell);
  const data::Batch train{randn({4, 1, 4, 4}), random_labels(4, 3, gen)}, val{randn({4, 1, 4, 4}), random_labels(4, 3, gen)};
  const std::vector<double> expected_grad = values(opt.arch_gradient(train.images, train.labels, val.images, val.labels, 0).grads[0]);
  const BilevelStepStats s = opt.step(train, val);
  EXPECT_TRUE(std::isfinite(s.train_loss) && std::isfinite(s.val_loss));
  // Adam's first step moves each α by lr * sign(g) (after weight decay 1e-3 * α, tiny here).
  const std::vector<double> a1 = values(net.alphas_cell);
  for (size_t i = 0; i < a0.size(); ++i) {
    const double g = expected_grad[i] + o.arch_weight_decay * a0[i];
    if (std::abs(g) > 1e-4) {
      EXPECT_NEAR(a1[i] - a0[i], -o.arch_lr * (g > 0 ? 1 : -1), 1e-6) << i;
    }
  }
  EXPECT_FALSE(net.alphas_cell.grad().defined());
  EXPECT_EQ(opt.weight_optimizer().step_count(), 1);
  EXPECT_EQ(opt.arch_optimizer().step_count(), 1);
  DartsSearchOptions second = o;
  second.order = 2;
  EXPECT_EQ(BilevelOptimizer(net, second).xi(), o.lr);
}

// A NaN image makes both halves of a step non-finite. Under skip neither α,
// the weights, the optimizers' state nor the BN statistics move, and a good
// step afterwards updates as usual; under fail the step throws with the
// reason; past max_consecutive_skips a skip run fails as diverged.
TEST(BilevelOptimizer, NonFiniteStepsAreSkippedOrFailPerPolicy) {
  manual_seed(8);
  Generator gen(8);
  Nb201SupernetImpl net(tiny_network(4, 3, 2, 1));
  const data::Batch good{randn({4, 1, 4, 4}), random_labels(4, 3, gen)};
  Tensor poisoned = randn({4, 1, 4, 4});
  raw::fill_(raw::select(poisoned, 0, 1), std::nan(""));
  const data::Batch bad{poisoned, good.labels};

  DartsSearchOptions o;
  o.nonfinite = {.policy = nn::OnNonFinite::skip, .max_consecutive_skips = 2};
  BilevelOptimizer opt(net, o);
  const std::vector<double> alpha0 = values(net.alphas_cell);
  std::vector<std::vector<double>> before;
  for (const Tensor& t : net.parameters()) before.push_back(values(t));
  for (const Tensor& t : net.buffers()) before.push_back(values(t));
  for (int i = 0; i < 2; ++i) {
    const BilevelStepStats s = opt.step(bad, bad);
    EXPECT_TRUE(s.arch_skipped && s.weights_skipped);
  }
  std::vector<std::vector<double>> after;
  for (const Tensor& t : net.parameters()) after.push_back(values(t));
  for (const Tensor& t : net.buffers()) after.push_back(values(t));
  EXPECT_EQ(after, before);  // bit for bit: nothing moved
  EXPECT_EQ(opt.skipped_arch_steps(), 2);
  EXPECT_EQ(opt.skipped_weight_steps(), 2);
  EXPECT_EQ(opt.weight_optimizer().step_count(), 0);
  EXPECT_EQ(opt.arch_optimizer().step_count(), 0);
  EXPECT_FALSE(net.alphas_cell.grad().defined());

  const BilevelStepStats s = opt.step(good, good);  // resets the run of skips
  EXPECT_FALSE(s.arch_skipped || s.weights_skipped);
  EXPECT_EQ(opt.weight_optimizer().step_count(), 1);
  EXPECT_NE(values(net.alphas_cell), alpha0);
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(opt.step(bad, bad).weights_skipped);
  try {
    opt.step(bad, bad);  // the third in a row
    ADD_FAILURE() << "expected divergence";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("darts search: architecture step: training diverged: 3 non-finite steps in a row"),
              std::string::npos) << e.what();
  }

  DartsSearchOptions fail;  // the default policy
  BilevelOptimizer strict(net, fail);
  try {
    strict.step(good, bad);
    ADD_FAILURE() << "expected a failure";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("darts search: architecture step: loss became nan"), std::string::npos)
        << e.what();
  }
}

TEST(DartsSearchOptions, NonFinitePolicyRoundTripsAndOldConfigsFail) {
  DartsSearchOptions o;
  o.nonfinite = {.policy = nn::OnNonFinite::skip, .max_consecutive_skips = 7};
  const DartsSearchOptions back = json(o).get<DartsSearchOptions>();
  EXPECT_EQ(back.nonfinite.policy, nn::OnNonFinite::skip);
  EXPECT_EQ(back.nonfinite.max_consecutive_skips, 7);
  json old = json(o);
  old.erase("on_nonfinite");
  old.erase("max_skipped_steps");
  EXPECT_EQ(old.get<DartsSearchOptions>().nonfinite.policy, nn::OnNonFinite::fail);
  try {
    json bad = json(o);
    bad["on_nonfinite"] = "ignore";
    (void)bad.get<DartsSearchOptions>();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("darts options: on_nonfinite"), std::string::npos) << e.what();
  }
}

// --- derivation ------------------------------------------------------------------------------

TEST(Derivation, DartsKeepsTheTwoStrongestNonNoneInputsPerNode) {
  std::vector<double> w(14 * 8, 0.01);
  auto set = [&](int node, int input, DartsOp op, double v) { w[size_t((darts_node_first_edge(node) + input) * 8 + int(op))] = v; };
  set(0, 0, DartsOp::none, 0.9);  // 'none' never counts
  set(0, 0, DartsOp::skip_connect, 0.3);
  set(0, 1, DartsOp::sep_conv_3x3, 0.4);
  set(1, 0, DartsOp::max_pool_3x3, 0.5);
  set(1, 1, DartsOp::avg_pool_3x3, 0.2);
  set(1, 2, DartsOp::dil_conv_5x5, 0.6);
  set(2, 1, DartsOp::sep_conv_5x5, 0.7);  // a tie: the lower input first
  set(2, 3, DartsOp::sep_conv_5x5, 0.7);
  set(2, 2, DartsOp::none, 0.95);
  set(3, 4, DartsOp::skip_connect, 0.8);
  set(3, 0, DartsOp::dil_conv_3x3, 0.75);
  set(3, 0, DartsOp::sep_conv_3x3, 0.74);
  const Tensor normal = from_vector(w, {14, 8});
  const Tensor flat = full({14, 8}, 0.125);  // all equal: the first non-none op, inputs 0 and 1
  const DartsGenotype g = derive_darts(normal, flat);
  EXPECT_EQ(to_string(g),
            "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ('dil_conv_5x5', 2), ('max_pool_3x3', 0), "
            "('sep_conv_5x5', 1), ('sep_conv_5x5', 3), ('skip_connect', 4), ('dil_conv_3x3', 0)], "
            "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
            "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1)], "
            "reduce_concat=[2, 3, 4, 5])");
  try {
    derive_darts(full({14, 7}, 0.1), flat);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "darts derivation: normal: expected weights [14, 8], got [14,7]");
  }
}

TEST(Derivation, Nb201TakesTheArgmaxOfEveryEdgeNoneIncluded) {
  const std::vector<int> best = {3, 0, 1, 4, 2, 3};
  std::vector<double> w(30, 0.1);
  for (int e = 0; e < 6; ++e) w[size_t(e * 5 + best[size_t(e)])] = 0.6;
  EXPECT_EQ(to_string(derive_nb201(from_vector(w, {6, 5}))),
            "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|");
}

TEST(Derivation, SupernetDeriveUsesItsAlphas) {
  manual_seed(7);
  DartsSupernetImpl net(tiny_network(8, 3, 2, 3));
  std::vector<double> logits(14 * 8, 0.0);
  for (int e = 0; e < 14; ++e) logits[size_t(e * 8 + int(DartsOp::sep_conv_5x5))] = 2.0;
  logits[size_t(darts_node_first_edge(3) * 8 + int(DartsOp::sep_conv_5x5))] = 0.0;  // node 3: input 0 loses
  set_tensor(net.alphas_normal, logits);
  set_tensor(net.alphas_reduce, logits);
  const auto g = std::get<DartsGenotype>(net.derive());
  EXPECT_EQ(g.normal.edges[0], (DartsEdge{DartsOp::sep_conv_5x5, 0}));
  EXPECT_EQ(g.normal.edges[6], (DartsEdge{DartsOp::sep_conv_5x5, 1}));
  EXPECT_EQ(g.normal.edges[7], (DartsEdge{DartsOp::sep_conv_5x5, 2}));
  EXPECT_EQ(g.normal, g.reduce);
}

// --- a short search on a task where one op is clearly right ----------------------------------

namespace {

// One edge between the image and a linear classifier: none, 3x3 average pool or identity.
// The class is the sign of a faint checkerboard under noise and a random
// brightness offset: pooling averages the checkerboard away (to a ninth inside,
// to nothing on the border), the identity keeps it.
class OneEdgeSupernet : public SupernetImpl {
 public:
  OneEdgeSupernet() : SupernetImpl("OneEdgeSupernet") {
    edge_ = register_module("edge", MixedOp({nn::Zero(1), nn::AvgPool2d(3, {.stride = 1, .padding = 1}), nn::Identity()}));
    classifier_ = register_module("classifier", nn::Linear(36, 2));
    alpha_ = register_alpha("cell", raw::mul_scalar(randn({1, 3}), 1e-3));
  }
  Tensor forward(const Tensor& x) override {
    return classifier_->forward(flatten(edge_->forward(x, select(softmax(alpha_, -1), 0, 0)), 1));
  }
  std::string space_name() const override { return "nb201"; }
  std::vector<std::string> op_names() const override { return {"none", "avg_pool_3x3", "skip_connect"}; }
  std::vector<std::string> edge_names() const override { return {"1<-0"}; }
  Genotype derive() const override { return Nb201Genotype{}; }
  Tensor alpha_;

 private:
  std::shared_ptr<MixedOpImpl> edge_;
  std::shared_ptr<nn::LinearImpl> classifier_;
};

std::shared_ptr<data::TensorDataset> checkerboard_task(int64_t n, uint64_t seed) {
  Generator gen(seed);
  std::vector<float> images(static_cast<size_t>(n * 36));
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    labels[size_t(i)] = gen.randint(2);
    const double sign = labels[size_t(i)] == 1 ? 1 : -1, offset = 0.5 * gen.normal();
    for (int p = 0; p < 36; ++p)
      images[size_t(i * 36 + p)] = float(offset + 0.3 * sign * (((p / 6 + p % 6) % 2) ? 1 : -1) + 0.5 * gen.normal());
  }
  return std::make_shared<data::TensorDataset>(from_vector(images, {n, 1, 6, 6}), from_vector(labels, {n}), 2);
}

}  // namespace

TEST(DartsSearch, ShortSearchPutsTheWeightOnTheRightOp) {
  manual_seed(8);
  auto net = std::make_shared<OneEdgeSupernet>();
  DartsSearchOptions o;
  o.epochs = 4;
  o.batch_size = 16;
  o.lr = 0.05;
  o.arch_lr = 0.03;  // a short search: a larger α step than the paper's 3e-4
  DartsSearch search(net, o, {checkerboard_task(256, 1), checkerboard_task(256, 2), {}});
  DartsEpoch last;
  for (int e = 0; e < o.epochs; ++e) last = search.run_epoch();
  EXPECT_EQ(last.epoch, 4);
  EXPECT_EQ(last.steps, 16);
  const std::vector<double> w = last.alphas["cell"][0].get<std::vector<double>>();
  EXPECT_GT(w[2], 0.6) << "identity weight; none " << w[0] << ", avg_pool " << w[1];
  EXPECT_GT(w[2], w[1]);
  EXPECT_GT(w[2], w[0]);
  EXPECT_GT(last.train_accuracy, 0.7);
}

// --- resume per epoch ----------------------------------------------------------------------------

namespace {

std::shared_ptr<data::TensorDataset> random_task(int64_t n, uint64_t seed) {
  Generator gen(seed);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (auto& l : labels) l = gen.randint(3);
  return std::make_shared<data::TensorDataset>(randn({n, 1, 8, 8}, {}, &gen), from_vector(labels, {n}), 3);
}

json tiny_config() {
  return {{"space", {{"space", "nb201"}}}, {"network", tiny_network(8, 3, 2, 1)}, {"data", {{"spec", "synthetic"}}}};
}

std::unique_ptr<DartsSearch> make_search(const DartsSearchOptions& o) {
  manual_seed(9);
  auto net = std::make_shared<Nb201SupernetImpl>(tiny_network(8, 3, 2, 1));
  return std::make_unique<DartsSearch>(net, o, DartsData{random_task(48, 1), random_task(48, 2), {}});
}

std::vector<std::string> lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

}  // namespace

TEST(DartsSearch, ResumingAfterEachEpochGivesTheUninterruptedSearch) {
  DartsSearchOptions o;
  o.order = 2;
  o.epochs = 2;
  o.batch_size = 16;
  const json config = tiny_config();
  TempDir tmp;
  const fs::path whole = tmp.path / "whole", split = tmp.path / "split";

  auto a = make_search(o);
  create_darts_experiment(whole, config);
  run_darts_search(whole, config, *a);

  create_darts_experiment(split, config);
  {
    auto b = make_search(o);
    EXPECT_EQ(resume_darts_experiment(split, *b), 0);
    record_darts_epoch(split, config, *b, b->run_epoch());
  }
  // A log line of an epoch whose checkpoint never landed is dropped on resume.
  std::ofstream(split / "alphas.jsonl", std::ios::app) << "{\"epoch\": 2, \"cell\": []}\n{\"epoch\": 3";
  auto c = make_search(o);
  EXPECT_EQ(resume_darts_experiment(split, *c), 1);
  EXPECT_EQ(lines(split / "alphas.jsonl").size(), 1u);
  run_darts_search(split, config, *c);
  EXPECT_EQ(c->epochs_done(), 2);

  const auto sa = a->net().named_state(), sc = c->net().named_state();
  ASSERT_EQ(sa.size(), sc.size());
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_EQ(values(sa[i].second), values(sc[i].second)) << sa[i].first;
  EXPECT_EQ(a->optimizer().arch_optimizer().step_count(), c->optimizer().arch_optimizer().step_count());
  EXPECT_EQ(lines(whole / "alphas.jsonl"), lines(split / "alphas.jsonl"));
  const auto ga = lines(whole / "genotypes.jsonl"), gc = lines(split / "genotypes.jsonl");
  ASSERT_EQ(ga.size(), 2u);
  ASSERT_EQ(gc.size(), 2u);
  for (size_t i = 0; i < 2; ++i)
    for (const char* key : {"epoch", "genotype", "train_loss", "val_accuracy", "params"})
      EXPECT_EQ(json::parse(ga[i])[key], json::parse(gc[i])[key]) << key;
  std::ifstream best_in(split / "best.json");
  const json best = json::parse(best_in);
  EXPECT_EQ(best["epoch"], 2);
  EXPECT_EQ(best["genotype"], json::parse(gc[1])["genotype"]);
  EXPECT_EQ(best["space"], config["space"]);
  EXPECT_GT(best["params"].get<int64_t>(), 0);
}
