// The DARTS candidate operations: output shapes (stride 1 keeps H x W, stride
// 2 halves it, odd sizes included), parameter layout, hand-checked
// FactorizedReduce and Zero, and gradchecks of the composite blocks.
#include <gtest/gtest.h>

#include <cmath>

#include "autograd/functions.h"
#include "nn/nn.h"
#include "test_nn_util.h"

using namespace nf;
using namespace nf::nn_test;

namespace {

std::vector<std::string> names(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& e : m.named_parameters()) out.push_back(e.first);
  return out;
}

// The DARTS operation table for C channels and a given stride.
std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> darts_ops(int64_t c, int64_t stride) {
  return {{"none", nn::Zero(stride)},
          {"max_pool_3x3", nn::MaxPool2d(3, {.stride = stride, .padding = 1})},
          {"avg_pool_3x3", nn::AvgPool2d(3, {.stride = stride, .padding = 1})},
          {"skip_connect", stride == 1 ? std::shared_ptr<nn::Module>(nn::Identity())
                                       : std::shared_ptr<nn::Module>(nn::FactorizedReduce(c, c))},
          {"sep_conv_3x3", nn::SepConv(c, c, 3, stride, 1)},
          {"sep_conv_5x5", nn::SepConv(c, c, 5, stride, 2)},
          {"dil_conv_3x3", nn::DilConv(c, c, 3, stride, 2, 2)},
          {"dil_conv_5x5", nn::DilConv(c, c, 5, stride, 4, 2)},
          {"relu_conv_bn_1x1", nn::ReLUConvBN(c, c, 1, stride, 0)}};
}

}  // namespace

TEST(DartsOps, StrideOneKeepsAndStrideTwoHalvesTheSize) {
  for (int64_t size : {8, 7}) {
    Tensor x = randn({2, 4, size, size});
    for (int64_t stride : {1, 2}) {
      const int64_t out = stride == 1 ? size : (size + 1) / 2;
      for (auto& [name, op] : darts_ops(4, stride)) {
        EXPECT_EQ(op->forward(x).shape(), (Shape{2, 4, out, out}))
            << name << " stride " << stride << " on " << size << "x" << size;
      }
    }
  }
  EXPECT_EQ(nn::SepConv(4, 6, 3, 1, 1)->forward(randn({1, 4, 5, 5})).shape(), (Shape{1, 6, 5, 5}));
  EXPECT_EQ(nn::FactorizedReduce(3, 8)->forward(randn({1, 3, 6, 6})).shape(), (Shape{1, 8, 3, 3}));
}

TEST(DartsOps, ParameterLayoutFollowsTheReference) {
  auto sep = nn::SepConv(4, 6, 3, 2, 1, /*affine=*/true);
  EXPECT_EQ(names(*sep), (std::vector<std::string>{"op.1.weight", "op.2.weight", "op.3.weight", "op.3.bias",
                                                    "op.5.weight", "op.6.weight", "op.7.weight", "op.7.bias"}));
  const auto p = sep->named_parameters();
  EXPECT_EQ(p[0].second.shape(), (Shape{4, 1, 3, 3}));  // depthwise, stride 2
  EXPECT_EQ(p[1].second.shape(), (Shape{4, 4, 1, 1}));  // pointwise, C_in -> C_in
  EXPECT_EQ(p[5].second.shape(), (Shape{6, 4, 1, 1}));  // pointwise, C_in -> C_out
  EXPECT_TRUE(names(*nn::SepConv(4, 6, 3, 2, 1, /*affine=*/false)) ==
              (std::vector<std::string>{"op.1.weight", "op.2.weight", "op.5.weight", "op.6.weight"}));
  auto dil = nn::DilConv(4, 4, 3, 1, 2, 2, false);
  EXPECT_EQ(names(*dil), (std::vector<std::string>{"op.1.weight", "op.2.weight"}));
  EXPECT_EQ(dil->named_buffers().size(), 2u);  // the BatchNorm running statistics remain
  EXPECT_EQ(names(*nn::ReLUConvBN(4, 8, 1, 1, 0)),
            (std::vector<std::string>{"op.1.weight", "op.2.weight", "op.2.bias"}));
  EXPECT_EQ(names(*nn::FactorizedReduce(4, 8)),
            (std::vector<std::string>{"conv_1.weight", "conv_2.weight", "bn.weight", "bn.bias"}));
  EXPECT_EQ(error_of([] { nn::FactorizedReduce(4, 5); }), "FactorizedReduce: C_out must be even, got 5");
}

TEST(DartsOps, FactorizedReduceSamplesBothPixelGrids) {
  // One input channel, weights 1: half 0 sees the even grid, half 1 the odd
  // grid (relu first), then a BatchNorm in eval mode with identity stats.
  auto fr = nn::FactorizedReduce(1, 2, /*affine=*/false);
  set_values(fr->conv_1->weight, {1});
  set_values(fr->conv_2->weight, {1});
  fr->eval();
  Tensor x = f32({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, {1, 1, 4, 4});
  const double s = 1 / std::sqrt(1 + 1e-5);
  expect_values(fr->forward(x), {1 * s, 3 * s, 9 * s, 11 * s, 6 * s, 8 * s, 14 * s, 16 * s});
  // Odd size: the odd grid is zero-padded at the bottom/right edge.
  Tensor odd = f32({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  expect_values(fr->forward(odd), {1 * s, 3 * s, 7 * s, 9 * s, 5 * s, 0, 0, 0});
  expect_values(fr->forward(raw::neg(x)), {0, 0, 0, 0, 0, 0, 0, 0});  // relu
}

TEST(DartsOps, ZeroSubsamplesAndPassesZeroGradient) {
  Tensor x = randn({2, 3, 5, 5});
  x.requires_grad_();
  Tensor y = nn::Zero(2)->forward(x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 3, 3}));
  EXPECT_EQ(raw::sum(raw::unary(UnaryOp::abs, y)).item(), 0.0);
  y.sum().backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(raw::sum(raw::unary(UnaryOp::abs, x.grad())).item(), 0.0);
  EXPECT_EQ(nn::Zero()->forward(x).shape(), x.shape());
}

TEST(DartsOps, GradcheckSepConv) {
  manual_seed(21);
  auto op = nn::SepConv(2, 3, 3, 2, 1);
  auto rep = gradcheck_module(*op, randn({2, 2, 5, 5}));
  EXPECT_TRUE(rep.ok) << rep.message;
}

TEST(DartsOps, GradcheckDilConvAndFactorizedReduce) {
  manual_seed(22);
  auto dil = nn::DilConv(2, 2, 3, 1, 2, 2);
  auto rep = gradcheck_module(*dil, randn({2, 2, 4, 4}));
  EXPECT_TRUE(rep.ok) << rep.message;
  auto fr = nn::FactorizedReduce(2, 4);
  rep = gradcheck_module(*fr, randn({2, 2, 5, 5}));
  EXPECT_TRUE(rep.ok) << rep.message;
}
