// The ten-line training loop of DESIGN.md section 6 must compile as written;
// here it runs on a tiny random data set (the loop body is verbatim). The
// loader is a plain vector of (x, y) batches: nn tests link only nf_nn, and
// data::DataLoader yields the same structured-binding shape.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "autograd/grad_mode.h"
#include "nn/nn.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

using namespace nf;

TEST(DesignExample, TenLineLoopCompilesAndLowersTheLoss) {
  manual_seed(0);
  Generator gen(5);
  Tensor labels = randint(10, {64}, Device::cpu(), &gen);
  // Class-dependent brightness, so there is something to learn.
  Tensor images = raw::add(rand({64, 1, 6, 6}, {}, &gen),
                           raw::reshape(raw::mul_scalar(raw::cast(labels, DType::f32), 0.3), {64, 1, 1, 1}));
  std::vector<std::pair<Tensor, Tensor>> loader;  // 4 batches of 16
  for (int64_t b = 0; b < 64; b += 16) loader.emplace_back(images.narrow(0, b, 16), labels.narrow(0, b, 16));

  auto model = nn::Sequential(nn::Conv2d(1, 32, 3, {.padding = 1}), nn::BatchNorm2d(32), nn::ReLU(),
                              nn::GlobalAvgPool(), nn::Linear(32, 10));
  optim::SGD opt(model->parameters(), {.lr = 0.05, .momentum = 0.9, .weight_decay = 3e-4});

  auto mean_loss = [&] {
    autograd::NoGradGuard no_grad;
    model->eval();
    double l = nn::cross_entropy(model->forward(images), labels).item();
    model->train();
    return l;
  };
  const double before = mean_loss();
  for (int epoch = 0; epoch < 10; ++epoch) {
    for (auto& [x, y] : loader) {
      opt.zero_grad();
      auto loss = nn::cross_entropy(model->forward(x), y);
      loss.backward();
      opt.step();
    }
  }
  EXPECT_LT(mean_loss(), before);
}
