// LSTMCell and LSTM: a hand-computed step, output and state shapes in both
// layouts, equality with a manual unroll, and gradchecks.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functions.h"
#include "nn/nn.h"
#include "test_nn_util.h"

using namespace nf;
using namespace nf::nn_test;

namespace {
double sigm(double v) { return 1 / (1 + std::exp(-v)); }
}  // namespace

TEST(LSTMCell, OneStepMatchesHandComputation) {
  auto cell = nn::LSTMCell(1, 1);
  const std::vector<double> wi{0.5, -0.3, 0.8, 0.1}, wh{0.2, 0.4, -0.6, 0.7}, bi{0.1, 0.2, 0.3, 0.4},
      bh{-0.05, 0.0, 0.05, 0.1};
  set_values(cell->weight_ih, wi);
  set_values(cell->weight_hh, wh);
  set_values(cell->bias_ih, bi);
  set_values(cell->bias_hh, bh);
  const double x = 0.5, h = 0.1, c = 0.2;
  auto gate = [&](int k) { return wi[k] * x + wh[k] * h + bi[k] + bh[k]; };
  const double i = sigm(gate(0)), f = sigm(gate(1)), g = std::tanh(gate(2)), o = sigm(gate(3));
  const double c1 = f * c + i * g, h1 = o * std::tanh(c1);
  nn::LSTMState s = cell->step(f32({0.5}, {1, 1}), {f32({0.1}, {1, 1}), f32({0.2}, {1, 1})});
  expect_values(s.h, {h1});
  expect_values(s.c, {c1});
  // A zero state when none is given.
  const double i0 = sigm(wi[0] * x + bi[0] + bh[0]), g0 = std::tanh(wi[2] * x + bi[2] + bh[2]),
               o0 = sigm(wi[3] * x + bi[3] + bh[3]);
  expect_values(cell->forward(f32({0.5}, {1, 1})), {o0 * std::tanh(i0 * g0)});
}

TEST(LSTMCell, ShapesNamesAndErrors) {
  auto cell = nn::LSTMCell(3, 5);
  std::vector<std::string> names;
  for (const auto& e : cell->named_parameters()) names.push_back(e.first);
  EXPECT_EQ(names, (std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"}));
  EXPECT_EQ(cell->weight_ih.shape(), (Shape{20, 3}));
  nn::LSTMState s = cell->step(randn({4, 3}));
  EXPECT_EQ(s.h.shape(), (Shape{4, 5}));
  EXPECT_EQ(s.c.shape(), (Shape{4, 5}));
  EXPECT_EQ(error_of([&] { cell->step(randn({4, 3}), {zeros({4, 4}), {}}); }),
            "LSTMCell: h has shape [4,4], expected [4,5]");
  EXPECT_EQ(error_of([&] { cell->step(randn({4, 2})); }), "LSTMCell: expected input [N,3], got [4,2]");
}

TEST(LSTM, ShapesInBothLayouts) {
  auto seq_first = nn::LSTM(3, 4, {.num_layers = 2});
  nn::LSTMOutput out = seq_first->run(randn({5, 2, 3}));  // [T, N, I]
  EXPECT_EQ(out.output.shape(), (Shape{5, 2, 4}));
  EXPECT_EQ(out.state.h.shape(), (Shape{2, 2, 4}));
  EXPECT_EQ(out.state.c.shape(), (Shape{2, 2, 4}));
  auto batch_first = nn::LSTM(3, 4, {.num_layers = 1, .batch_first = true});
  EXPECT_EQ(batch_first->forward(randn({2, 5, 3})).shape(), (Shape{2, 5, 4}));
  std::vector<std::string> names;
  for (const auto& e : seq_first->named_parameters()) names.push_back(e.first);
  EXPECT_EQ(names, (std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                             "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"}));
  EXPECT_EQ(seq_first->named_parameters()[4].second.shape(), (Shape{16, 4}));  // layer 1 reads H
  EXPECT_EQ(error_of([&] { seq_first->run(randn({5, 2, 3}), {zeros({1, 2, 4}), {}}); }),
            "LSTM: h_0 has shape [1,2,4], expected [2,2,4]");
}

TEST(LSTM, EqualsAManualUnrollOfCells) {
  auto lstm = nn::LSTM(2, 3, {.num_layers = 2, .batch_first = true});
  auto p = lstm->named_parameters();
  Tensor x = randn({2, 4, 2});  // [N, T, I]
  nn::LSTMState init{randn({2, 2, 3}), randn({2, 2, 3})};
  nn::LSTMOutput out = lstm->run(x, init);

  std::vector<Tensor> inputs;
  for (int64_t t = 0; t < 4; ++t) inputs.push_back(select(x, 1, t));
  for (int64_t l = 0; l < 2; ++l) {
    nn::LSTMState s{select(init.h, 0, l), select(init.c, 0, l)};
    for (auto& in : inputs) {
      s = nn::lstm_cell(in, s, p[4 * l].second, p[4 * l + 1].second, p[4 * l + 2].second, p[4 * l + 3].second);
      in = s.h;
    }
    expect_values(select(out.state.h, 0, l), s.h.to_vector<double>());
    expect_values(select(out.state.c, 0, l), s.c.to_vector<double>());
  }
  for (int64_t t = 0; t < 4; ++t) expect_values(select(out.output, 1, t), inputs[t].to_vector<double>());
}

TEST(LSTM, GradcheckCellAndTwoLayerSequence) {
  manual_seed(31);
  auto cell = nn::LSTMCell(2, 2);
  auto rep = gradcheck_module(*cell, randn({3, 2}));
  EXPECT_TRUE(rep.ok) << rep.message;
  auto lstm = nn::LSTM(2, 2, {.num_layers = 2});
  rep = gradcheck_module(*lstm, randn({3, 2, 2}));
  EXPECT_TRUE(rep.ok) << rep.message;
}

TEST(LSTM, GradientsFlowThroughTimeIntoTheState) {
  auto lstm = nn::LSTM(2, 3);
  Tensor h0 = zeros({1, 2, 3}), c0 = zeros({1, 2, 3});
  h0.requires_grad_();
  c0.requires_grad_();
  lstm->run(randn({6, 2, 2}), {h0, c0}).output.sum().backward();
  ASSERT_TRUE(h0.grad().defined() && c0.grad().defined());
  EXPECT_GT(raw::sum(raw::unary(UnaryOp::abs, c0.grad())).item(), 0.0);
  for (const Tensor& p : lstm->parameters()) EXPECT_TRUE(p.grad().defined());
}
