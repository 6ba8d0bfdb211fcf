// Losses: cross-entropy (plain, label smoothing, ignore_index) and MSE against
// hand computations, plus a gradcheck of the smoothed loss.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "nn/nn.h"
#include "test_nn_util.h"

using namespace nf;
using namespace nf::nn_test;

namespace {

// -log_softmax(row)[c]
double nlp(const std::vector<double>& row, size_t c) {
  double m = *std::max_element(row.begin(), row.end()), s = 0;
  for (double v : row) s += std::exp(v - m);
  return m + std::log(s) - row[c];
}

double smoothed(const std::vector<double>& row, size_t target, double eps) {
  double all = 0;
  for (size_t c = 0; c < row.size(); ++c) all += nlp(row, c);
  return (1 - eps) * nlp(row, target) + eps * all / double(row.size());
}

const std::vector<double> kRow0{1, 2, 3}, kRow1{0.5, -1, 0};

}  // namespace

TEST(CrossEntropy, MatchesHandComputation) {
  Tensor logits = f32({1, 2, 3, 0.5, -1, 0}, {2, 3});
  Tensor target = from_vector(std::vector<int64_t>{2, 1}, {2});
  EXPECT_NEAR(nn::cross_entropy(logits, target).item(), (nlp(kRow0, 2) + nlp(kRow1, 1)) / 2, 1e-6);
  EXPECT_NEAR(nn::cross_entropy(logits, target, {.label_smoothing = 0.1}).item(),
              (smoothed(kRow0, 2, 0.1) + smoothed(kRow1, 1, 0.1)) / 2, 1e-6);
  // An ignored row counts neither in the loss nor in the mean.
  Tensor partial = from_vector(std::vector<int64_t>{2, -1}, {2});
  EXPECT_NEAR(nn::cross_entropy(logits, partial, {.ignore_index = -1}).item(), nlp(kRow0, 2), 1e-6);
  EXPECT_NEAR(nn::cross_entropy(logits, partial, {.label_smoothing = 0.2, .ignore_index = -1}).item(),
              smoothed(kRow0, 2, 0.2), 1e-6);
}

TEST(CrossEntropy, Errors) {
  Tensor logits = zeros({2, 3});
  EXPECT_EQ(error_of([&] { nn::cross_entropy(logits, zeros({2})); }),
            "cross_entropy: expected target i64 [2], got f32 [2]");
  EXPECT_EQ(error_of([&] { nn::cross_entropy(zeros({3}), zeros({3}, {DType::i64})); }),
            "cross_entropy: expected logits [N,C], got [3]");
  EXPECT_EQ(error_of([&] {
              nn::cross_entropy(logits, zeros({2}, {DType::i64}), {.label_smoothing = 1.5});
            }),
            "cross_entropy: label_smoothing must be in [0, 1], got 1.5");
}

TEST(CrossEntropy, GradcheckWithLabelSmoothing) {
  Generator g(3);
  Tensor logits = randn({4, 5}, {DType::f64}, &g);
  logits.requires_grad_();
  Tensor target = from_vector(std::vector<int64_t>{0, 4, -100, 2}, {4});
  auto rep = autograd::gradcheck(
      [&](const std::vector<Tensor>& in) { return nn::cross_entropy(in[0], target, {.label_smoothing = 0.15}); },
      {logits});
  EXPECT_TRUE(rep.ok) << rep.message;
}

TEST(Mse, MatchesHandComputationAndGradient) {
  Tensor pred = f32({1, 2, 3}, {3}), target = f32({3, 5, 3}, {3});
  pred.requires_grad_();
  Tensor loss = nn::mse(pred, target);
  EXPECT_NEAR(loss.item(), (4.0 + 9.0) / 3.0, 1e-6);
  loss.backward();
  expect_values(pred.grad(), {2 * -2.0 / 3, 2 * -3.0 / 3, 0});
}
