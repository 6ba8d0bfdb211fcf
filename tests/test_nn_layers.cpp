// Layers: forward against hand computations, output shapes, modes, seeded
// randomness, default init, gradients reaching every parameter, and a
// gradcheck of a composite module.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functions.h"
#include "nn/nn.h"
#include "test_nn_util.h"

using namespace nf;
using namespace nf::nn_test;

TEST(Linear, MatchesHandComputation) {
  auto fc = nn::Linear(3, 2);
  set_values(fc->weight, {1, 2, 3, 4, 5, 6});
  set_values(fc->bias, {0.5, -1});
  expect_values(fc->forward(f32({1, 0, -1, 2, 1, 0}, {2, 3})), {-1.5, -3, 4.5, 12});
  // Leading batch dims broadcast: [2, 1, 3] -> [2, 1, 2].
  Tensor y = fc->forward(f32({1, 0, -1, 2, 1, 0}, {2, 1, 3}));
  EXPECT_EQ(y.shape(), (Shape{2, 1, 2}));
  expect_values(y, {-1.5, -3, 4.5, 12});
  auto nobias = nn::Linear(3, 2, false);
  EXPECT_FALSE(nobias->bias.defined());
  EXPECT_EQ(nobias->named_parameters().size(), 1u);
  EXPECT_EQ(error_of([&] { fc->forward(zeros({2, 4})); }),
            "Linear: input [2,4] does not end in in_features=3");
}

TEST(Conv2d, MatchesHandComputation) {
  Tensor x = f32({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  auto conv = nn::Conv2d(1, 1, 2);
  set_values(conv->weight, {1, 2, 3, 4});
  set_values(conv->bias, {0.5});
  expect_values(conv->forward(x), {37.5, 47.5, 67.5, 77.5});

  auto padded = nn::Conv2d(1, 1, 2, {.stride = 2, .padding = 1});
  set_values(padded->weight, {1, 2, 3, 4});
  set_values(padded->bias, {0.5});
  expect_values(padded->forward(x), {4.5, 18.5, 36.5, 77.5});

  auto dilated = nn::Conv2d(1, 1, 2, {.dilation = 2});
  set_values(dilated->weight, {1, 2, 3, 4});
  set_values(dilated->bias, {0.5});
  Tensor y = dilated->forward(x);
  EXPECT_EQ(y.shape(), (Shape{1, 1, 1, 1}));
  expect_values(y, {64.5});

  auto grouped = nn::Conv2d(2, 2, 1, {.groups = 2, .bias = false});
  EXPECT_EQ(grouped->weight.shape(), (Shape{2, 1, 1, 1}));
  set_values(grouped->weight, {2, 3});
  expect_values(grouped->forward(f32({1, 2, 3, 4}, {1, 2, 1, 2})), {2, 4, 9, 12});
}

TEST(Conv2d, OutputShapesAndErrors) {
  Tensor x = randn({2, 3, 7, 7});
  EXPECT_EQ(nn::Conv2d(3, 8, 3, {.padding = 1})->forward(x).shape(), (Shape{2, 8, 7, 7}));
  EXPECT_EQ(nn::Conv2d(3, 8, 3, {.stride = 2, .padding = 1})->forward(x).shape(), (Shape{2, 8, 4, 4}));
  EXPECT_EQ(nn::Conv2d(3, 6, 3, {.padding = 2, .dilation = 2, .groups = 3})->forward(x).shape(),
            (Shape{2, 6, 7, 7}));
  EXPECT_EQ(error_of([] { nn::Conv2d(3, 8, 3, {.groups = 2}); }),
            "Conv2d: channels in=3 out=8 are not divisible by groups=2");
  EXPECT_EQ(error_of([&] { nn::Conv2d(4, 8, 3)->forward(x); }),
            "Conv2d: expected input [N,4,H,W], got [2,3,7,7]");
}

TEST(Pool, MaxAndAverageMatchHandComputation) {
  Tensor x = arange(0.0, 16.0, 1.0, {DType::f32}).reshape({1, 1, 4, 4});
  expect_values(nn::MaxPool2d(2)->forward(x), {5, 7, 13, 15});
  expect_values(nn::AvgPool2d(2)->forward(x), {2.5, 4.5, 10.5, 12.5});
  expect_values(nn::MaxPool2d(3, {.stride = 2, .padding = 1})->forward(x), {5, 7, 13, 15});
  // count_include_pad = false: the corner averages 4 pixels, the edge 6.
  Tensor a = nn::AvgPool2d(3, {.stride = 1, .padding = 1})->forward(x);
  EXPECT_EQ(a.shape(), (Shape{1, 1, 4, 4}));
  EXPECT_NEAR(a.at({0, 0, 0, 0}), (0 + 1 + 4 + 5) / 4.0, 1e-6);
  EXPECT_NEAR(a.at({0, 0, 0, 1}), (0 + 1 + 2 + 4 + 5 + 6) / 6.0, 1e-6);
  EXPECT_NEAR(a.at({0, 0, 1, 1}), (0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10) / 9.0, 1e-6);
  // DARTS' 3x3 pools keep the size at stride 1 and halve it at stride 2.
  Tensor odd = randn({2, 3, 7, 7});
  EXPECT_EQ(nn::MaxPool2d(3, {.stride = 1, .padding = 1})->forward(odd).shape(), (Shape{2, 3, 7, 7}));
  EXPECT_EQ(nn::AvgPool2d(3, {.stride = 2, .padding = 1})->forward(odd).shape(), (Shape{2, 3, 4, 4}));
  EXPECT_EQ(error_of([] { nn::MaxPool2d(2, {.padding = 2}); }),
            "MaxPool2d: need kernel > 0, stride > 0 and 0 <= padding <= kernel/2; got kernel=2 stride=2 padding=2");
}

TEST(Pool, GlobalAvgPoolFlattens) {
  Tensor x = arange(0.0, 16.0, 1.0, {DType::f32}).reshape({2, 2, 2, 2});
  Tensor y = nn::GlobalAvgPool()->forward(x);
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  expect_values(y, {1.5, 5.5, 9.5, 13.5});
}

TEST(Flatten, MergesTrailingDims) {
  Tensor x = randn({2, 3, 4, 5});
  EXPECT_EQ(nn::Flatten()->forward(x).shape(), (Shape{2, 60}));
  EXPECT_EQ(nn::Flatten(0, 1)->forward(x).shape(), (Shape{6, 4, 5}));
}

TEST(BatchNorm2d, TrainingNormalisesAndUpdatesRunningStats) {
  // Channel 0 holds {1, 2, 3, 4}, channel 1 holds {0, 0, 2, 2}.
  Tensor x = f32({1, 2, 0, 0, 3, 4, 2, 2}, {2, 2, 1, 2});
  auto bn = nn::BatchNorm2d(2, {.momentum = 0.1});
  set_values(bn->weight, {2, 1});
  set_values(bn->bias, {1, 0});
  Tensor y = bn->forward(x);
  const double eps = 1e-5;
  const double s0 = std::sqrt(1.25 + eps), s1 = std::sqrt(1.0 + eps);
  expect_values(y, {2 * (1 - 2.5) / s0 + 1, 2 * (2 - 2.5) / s0 + 1, -1 / s1, -1 / s1,
                    2 * (3 - 2.5) / s0 + 1, 2 * (4 - 2.5) / s0 + 1, 1 / s1, 1 / s1});
  // Running: mean 0.9 * 0 + 0.1 * batch; var 0.9 * 1 + 0.1 * unbiased batch var.
  expect_values(bn->running_mean, {0.25, 0.1});
  expect_values(bn->running_var, {0.9 + 0.1 * 5.0 / 3.0, 0.9 + 0.1 * 4.0 / 3.0});

  bn->eval();
  Tensor e = bn->forward(x);
  const double rv0 = std::sqrt(0.9 + 0.5 / 3.0 + eps), rv1 = std::sqrt(0.9 + 0.4 / 3.0 + eps);
  expect_values(e, {2 * (1 - 0.25) / rv0 + 1, 2 * (2 - 0.25) / rv0 + 1, -0.1 / rv1, -0.1 / rv1,
                    2 * (3 - 0.25) / rv0 + 1, 2 * (4 - 0.25) / rv0 + 1, 1.9 / rv1, 1.9 / rv1});
  expect_values(bn->running_mean, {0.25, 0.1});  // eval leaves the statistics alone
}

TEST(BatchNorm2d, AffineOffHasOnlyBuffers) {
  auto bn = nn::BatchNorm2d(3, {.affine = false});
  EXPECT_TRUE(bn->named_parameters().empty());
  EXPECT_EQ(bn->named_buffers().size(), 2u);
  Tensor y = bn->forward(randn({4, 3, 2, 2}));
  Tensor m = y.mean({0, 2, 3});
  expect_values(m, {0, 0, 0}, 1e-5);
  EXPECT_EQ(error_of([&] { bn->forward(zeros({4, 2, 2, 2})); }),
            "BatchNorm2d: expected input [N,3,H,W], got [4,2,2,2]");
}

TEST(Activation, ReluTanhSigmoidIdentity) {
  Tensor x = f32({-2, 0.5, 3}, {3});
  expect_values(nn::ReLU()->forward(x), {0, 0.5, 3});
  expect_values(nn::Tanh()->forward(x), {std::tanh(-2.0), std::tanh(0.5), std::tanh(3.0)});
  expect_values(nn::Sigmoid()->forward(x), {1 / (1 + std::exp(2.0)), 1 / (1 + std::exp(-0.5)), 1 / (1 + std::exp(-3.0))});
  EXPECT_TRUE(nn::Identity()->forward(x).same_data(x));
}

TEST(Dropout, ScalesKeptValuesAndIsIdentityInEval) {
  Generator gen(7);
  auto drop = nn::Dropout(0.25, &gen);
  Tensor x = ones({4000});
  std::vector<double> y = drop->forward(x).to_vector<double>();
  int64_t zeros_seen = 0;
  for (double v : y) {
    if (v == 0) {
      ++zeros_seen;
    } else {
      EXPECT_NEAR(v, 1 / 0.75, 1e-6);
    }
  }
  EXPECT_NEAR(double(zeros_seen) / 4000.0, 0.25, 0.03);
  // Same seed, same mask.
  Generator a(3), b(3);
  expect_values(nn::dropout(x, 0.5, true, &a), nn::dropout(x, 0.5, true, &b).to_vector<double>(), 0);
  drop->eval();
  EXPECT_TRUE(drop->forward(x).same_data(x));
  EXPECT_TRUE(nn::dropout(x, 0.0, true).same_data(x));
  expect_values(nn::dropout(f32({1, 2}, {2}), 1.0, true), {0, 0});
  EXPECT_EQ(error_of([] { nn::Dropout(1.5); }), "Dropout: drop probability must be in [0, 1], got 1.5");
}

TEST(Dropout, GradientIsTheScaledMask) {
  Generator gen(11);
  Tensor x = ones({64});
  x.requires_grad_();
  Tensor y = nn::dropout(x, 0.5, true, &gen);
  y.sum().backward();
  expect_values(x.grad(), y.to_vector<double>(), 0);
}

TEST(DropPath, DropsWholeSamples) {
  Generator gen(5);
  Tensor x = ones({64, 3, 2, 2});
  Tensor y = nn::DropPath(0.5, &gen)->forward(x);
  int64_t dropped = 0;
  for (int64_t n = 0; n < 64; ++n) {
    std::vector<double> s = y.narrow(0, n, 1).to_vector<double>();
    for (double v : s) EXPECT_EQ(v, s[0]);
    EXPECT_TRUE(s[0] == 0.0 || std::abs(s[0] - 2.0) < 1e-6);
    dropped += s[0] == 0.0;
  }
  EXPECT_GT(dropped, 16);
  EXPECT_LT(dropped, 48);
  EXPECT_TRUE(nn::drop_path(x, 0.5, false).same_data(x));
}

TEST(Embedding, LooksUpRowsAndScattersGradients) {
  auto emb = nn::Embedding(3, 2);
  set_values(emb->weight, {0, 1, 2, 3, 4, 5});
  Tensor idx = from_vector(std::vector<int64_t>{2, 0, 1, 1}, {2, 2});
  Tensor y = emb->forward(idx);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 2}));
  expect_values(y, {4, 5, 0, 1, 2, 3, 2, 3});
  y.sum().backward();
  expect_values(emb->weight.grad(), {1, 1, 2, 2, 1, 1});
  EXPECT_EQ(error_of([&] { emb->forward(zeros({2})); }), "Embedding: indices must be i64, got f32");
}

TEST(Init, BoundsAndSpreadsFollowTheFormulas) {
  Tensor w = empty({64, 32, 3, 3});
  EXPECT_EQ(nn::init::fans(w), (std::pair<int64_t, int64_t>{288, 576}));
  Generator g(1);
  nn::init::kaiming_uniform_(w, 0, nn::init::FanMode::fan_in, nn::init::Nonlinearity::relu, &g);
  const double bound = std::sqrt(6.0 / 288);
  Tensor a = raw::unary(UnaryOp::abs, w);
  EXPECT_LE(raw::max(a).item(), bound);
  EXPECT_GT(raw::max(a).item(), 0.95 * bound);
  auto stddev = [](const Tensor& t) {
    Tensor c = raw::sub(t, raw::mean(t));
    return std::sqrt(raw::mean(raw::mul(c, c)).item());
  };
  EXPECT_NEAR(stddev(w), std::sqrt(2.0 / 288), 0.03 * std::sqrt(2.0 / 288));
  nn::init::kaiming_normal_(w, 0, nn::init::FanMode::fan_out, nn::init::Nonlinearity::relu, &g);
  EXPECT_NEAR(stddev(w), std::sqrt(2.0 / 576), 0.03 * std::sqrt(2.0 / 576));
  nn::init::xavier_normal_(w, 1.0, &g);
  EXPECT_NEAR(stddev(w), std::sqrt(2.0 / (288 + 576)), 0.03 * std::sqrt(2.0 / 864));
  nn::init::xavier_uniform_(w, 1.0, &g);
  EXPECT_LE(raw::max(raw::unary(UnaryOp::abs, w)).item(), std::sqrt(6.0 / 864));
  nn::init::ones_(w);
  EXPECT_EQ(raw::sum(w).item(), double(w.numel()));
  nn::init::zeros_(w);
  EXPECT_EQ(raw::sum(w).item(), 0.0);
  // Same seed, same values.
  Tensor p = empty({5, 4}), q = empty({5, 4});
  Generator g1(9), g2(9);
  nn::init::xavier_uniform_(p, 1.0, &g1);
  nn::init::xavier_uniform_(q, 1.0, &g2);
  expect_values(p, q.to_vector<double>(), 0);
  EXPECT_EQ(error_of([] { nn::init::kaiming_uniform_(empty({5})); }),
            "init: fans need a weight of rank >= 2, got [5]");
}

TEST(Init, LayersDefaultToPyTorchInit) {
  manual_seed(123);
  auto fc = nn::Linear(100, 50);
  const double bound = 1.0 / std::sqrt(100.0);
  for (const Tensor& t : {fc->weight, fc->bias}) {
    double m = raw::max(raw::unary(UnaryOp::abs, t)).item();
    EXPECT_LE(m, bound);
    EXPECT_GT(m, 0.8 * bound);
  }
  manual_seed(123);
  auto again = nn::Linear(100, 50);
  expect_values(again->weight, fc->weight.to_vector<double>(), 0);  // manual_seed reproduces models
  auto conv = nn::Conv2d(8, 4, 3, {.groups = 2});  // fan_in = 4 * 9
  EXPECT_LE(raw::max(raw::unary(UnaryOp::abs, conv->weight)).item(), 1.0 / 6.0);
}

TEST(Layers, GradientsReachEveryParameter) {
  auto net = nn::Sequential(nn::Conv2d(3, 4, 3, {.padding = 1}), nn::BatchNorm2d(4), nn::ReLU(),
                            nn::MaxPool2d(2), nn::Conv2d(4, 4, 3, {.padding = 1, .groups = 2}), nn::Tanh(),
                            nn::AvgPool2d(3, {.stride = 1, .padding = 1}), nn::GlobalAvgPool(), nn::Linear(4, 3));
  Tensor logits = net->forward(randn({2, 3, 6, 6}));
  EXPECT_EQ(logits.shape(), (Shape{2, 3}));
  nf::cross_entropy(logits, from_vector(std::vector<int64_t>{0, 2}, {2})).backward();
  for (const auto& [name, p] : net->named_parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    EXPECT_GT(raw::sum(raw::unary(UnaryOp::abs, p.grad())).item(), 0.0) << name;
  }
}

TEST(Layers, GradcheckConvBatchNormTanhPoolLinear) {
  manual_seed(4);
  auto net = nn::Sequential(nn::Conv2d(2, 3, 3, {.stride = 2, .padding = 1}), nn::BatchNorm2d(3), nn::Tanh(),
                            nn::AvgPool2d(2, {.stride = 1}), nn::GlobalAvgPool(), nn::Linear(3, 2));
  auto rep = gradcheck_module(*net, randn({2, 2, 5, 5}));
  EXPECT_TRUE(rep.ok) << rep.message;
}
