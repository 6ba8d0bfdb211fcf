// Building networks from genotypes: the MAC counter, each space's network
// (logit shapes, parameter names, one SGD step lowers the loss with finite
// gradients), an all-'none' NB201 cell, exact params/MACs of hand-computed
// cases, DARTS_V2's published size, the DARTS auxiliary head (shapes, size,
// training-only use) and the errors of foreign genotypes and bad configs.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <iostream>
#include <set>

#include "autograd/functions.h"
#include "nas/network_darts.h"
#include "nas/notation.h"
#include "nas/space.h"
#include "nas/space_darts.h"
#include "nas/space_macro.h"
#include "nas/space_nb201.h"
#include "nn/nn.h"
#include <nlohmann/json.hpp>
#include "tensor/error.h"
#include "tensor/factory.h"

using namespace nf;
using namespace nf::nas;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::set<std::string> param_names(const nn::Module& m) {
  std::set<std::string> out;
  for (const auto& [name, t] : m.named_parameters()) out.insert(name);
  return out;
}

bool all_finite(const Tensor& t) {
  for (float v : t.to_vector<float>())
    if (!std::isfinite(v)) return false;
  return true;
}

double abs_sum(const Tensor& t) {
  double s = 0;
  for (float v : t.to_vector<float>()) s += std::abs(v);
  return s;
}

struct StepResult {
  double loss_before = 0, loss_after = 0;
  int with_grad = 0;  // parameters that got a gradient
};

// One SGD step on a fixed batch of 4 images; checks every gradient is finite
// and that the classifier's `signal` parameter receives a non-zero one.
StepResult sgd_step(nn::Module& net, const NetworkConfig& cfg, uint64_t seed,
                    const std::string& signal = "classifier.weight") {
  Generator gen(seed);
  const auto& s = cfg.image_shape;
  Tensor x = randn({4, s[0], s[1], s[2]}, {}, &gen);
  Tensor y = randint(cfg.num_classes, {4}, Device::cpu(), &gen);
  optim::SGD opt(net.parameters(), {.lr = 0.02});
  StepResult r;
  Tensor logits = net.forward(x);
  EXPECT_EQ(logits.shape(), (Shape{4, cfg.num_classes}));
  Tensor loss = cross_entropy(logits, y);
  r.loss_before = loss.item();
  opt.zero_grad();
  loss.backward();
  for (const auto& [name, p] : net.named_parameters()) {
    if (!p.grad().defined()) continue;  // a parameter off every path to the output
    ++r.with_grad;
    EXPECT_TRUE(all_finite(p.grad())) << name;
    if (name == signal) {
      EXPECT_GT(abs_sum(p.grad()), 0) << name;
    }
  }
  opt.step();
  r.loss_after = cross_entropy(net.forward(x), y).item();
  return r;
}

// Samples `count` genotypes with fixed seeds, builds each, steps once.
void check_space_trains(const SearchSpace& space, const NetworkConfig& cfg, int count) {
  for (int k = 0; k < count; ++k) {
    Generator gen(100 + k);
    Genotype g = space.sample(gen);
    manual_seed(7 + k);
    auto net = space.build(g, cfg);
    SCOPED_TRACE(to_string(g));
    ASSERT_TRUE(net->is_training());
    StepResult r = sgd_step(*net, cfg, 11 + k);
    EXPECT_TRUE(std::isfinite(r.loss_before));
    EXPECT_LT(r.loss_after, r.loss_before);
    EXPECT_GE(r.with_grad, 4);  // at least the stem and the classifier
    // In eval mode one image is enough (BatchNorm uses running statistics).
    net->eval();
    const auto& s = cfg.image_shape;
    EXPECT_EQ(net->forward(zeros({1, s[0], s[1], s[2]})).shape(), (Shape{1, cfg.num_classes}));
  }
}

const char* kDartsV2 =
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), "
    "('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

}  // namespace

// --- MAC counter --------------------------------------------------------------------

TEST(MacCounter, CountsConvWithGroupsAndStride) {
  auto conv = nn::Conv2d(4, 6, 3, {.stride = 2, .padding = 1, .groups = 2});
  Tensor x = randn({2, 4, 7, 7});
  conv->forward(x);  // no counter alive: nothing to count, nothing breaks
  nn::MacCounter counter;
  Tensor y = conv->forward(x);
  ASSERT_EQ(y.shape(), (Shape{2, 6, 4, 4}));
  // N * C_out * H_out * W_out * (C_in / groups) * KH * KW
  EXPECT_EQ(counter.macs(), 2 * 6 * 4 * 4 * (4 / 2) * 3 * 3);
  counter.reset();
  nn::Conv2d(3, 5, 1)->forward(randn({1, 3, 5, 5}));
  EXPECT_EQ(counter.macs(), 5 * 5 * 5 * 3);
}

TEST(MacCounter, CountsLinearRowsTimesInTimesOut) {
  auto fc = nn::Linear(5, 3);
  nn::MacCounter counter;
  fc->forward(randn({4, 5}));
  EXPECT_EQ(counter.macs(), 4 * 5 * 3);
  fc->forward(randn({2, 3, 5}));  // 6 rows
  EXPECT_EQ(counter.macs(), 4 * 5 * 3 + 6 * 5 * 3);
}

TEST(MacCounter, NestedCountersHandTheirTotalOutward) {
  auto fc = nn::Linear(2, 2);
  nn::MacCounter outer;
  fc->forward(randn({1, 2}));
  {
    nn::MacCounter inner;
    fc->forward(randn({1, 2}));
    EXPECT_EQ(inner.macs(), 4);
    EXPECT_EQ(outer.macs(), 4);  // the inner one counts while alive
  }
  EXPECT_EQ(outer.macs(), 8);
  EXPECT_EQ(nn::MacCounter::active(), &outer);
}

// --- each space's network trains --------------------------------------------------------

TEST(NasBuild, Nb201SampledGenotypesTrain) {
  Nb201Space space;
  check_space_trains(space, {.image_shape = {1, 16, 16}, .num_classes = 5, .channels = 4, .cells = 1}, 4);
  // Odd sizes halve rounding up: 15 -> 8 -> 4.
  check_space_trains(space, {.image_shape = {2, 15, 13}, .num_classes = 3, .channels = 2, .cells = 2}, 1);
}

TEST(NasBuild, DartsSampledGenotypesTrain) {
  DartsSpace space;
  check_space_trains(space, {.image_shape = {1, 16, 16}, .num_classes = 5, .channels = 4, .cells = 3}, 3);
  check_space_trains(DartsSpace({.include_none = false}),
                     {.image_shape = {1, 28, 28}, .num_classes = 10, .channels = 2, .cells = 2}, 1);
}

TEST(NasBuild, DartsDropPathTrains) {
  DartsSpace space({.include_none = false});
  Generator gen(3);
  NetworkConfig cfg{.image_shape = {1, 12, 12}, .num_classes = 4, .channels = 4, .cells = 3, .drop_path = 0.3};
  manual_seed(5);
  auto net = space.build(space.sample(gen), cfg);
  StepResult r = sgd_step(*net, cfg, 9);  // losses differ by the masks: only check the step runs
  EXPECT_TRUE(std::isfinite(r.loss_before) && std::isfinite(r.loss_after));
  // Eval ignores drop-path: two forwards agree.
  net->eval();
  Tensor x = randn({2, 1, 12, 12});
  EXPECT_EQ(net->forward(x).to_vector<float>(), net->forward(x).to_vector<float>());
}

TEST(NasBuild, MacroSampledGenotypesTrain) {
  NetworkConfig cfg{.image_shape = {1, 16, 16}, .num_classes = 5, .channels = 4};
  check_space_trains(MacroSpace({.num_layers = 6, .search_strides = false}), cfg, 3);
  check_space_trains(MacroSpace({.num_layers = 5, .search_strides = true}), cfg, 3);
}

TEST(NasBuild, AllNoneNb201CellStillTrains) {
  Nb201Genotype g;
  g.ops.fill(Nb201Op::none);
  NetworkConfig cfg{.image_shape = {1, 8, 8}, .num_classes = 3, .channels = 4, .cells = 1};
  manual_seed(1);
  auto net = Nb201Space().build(g, cfg);
  // Every cell outputs zeros, so the classifier sees zero features: only its bias learns.
  StepResult r = sgd_step(*net, cfg, 2, "classifier.bias");
  EXPECT_LT(r.loss_after, r.loss_before);
  // The stem is still connected, through zeros: a defined, all-zero gradient.
  for (const auto& [name, p] : net->named_parameters())
    if (name == "stem.0.weight") {
      ASSERT_TRUE(p.grad().defined());
      EXPECT_EQ(abs_sum(p.grad()), 0.0);
    }
}

// --- parameter names --------------------------------------------------------------------

TEST(NasBuild, ParameterNamesAreStable) {
  NetworkConfig cfg{.image_shape = {1, 8, 8}, .num_classes = 3, .channels = 4, .cells = 1};
  auto nb = param_names(*Nb201Space().build(
      parse_nb201_genotype("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|"),
      cfg));
  for (const char* n : {"stem.0.weight", "stem.1.weight", "cells.0.edges.1<-0.op.1.weight",
                        "cells.0.edges.2<-1.op.2.bias", "cells.1.conv_a.op.1.weight", "cells.1.downsample.1.weight",
                        "cells.4.edges.3<-2.op.1.weight", "lastact.0.weight", "classifier.weight"})
    EXPECT_TRUE(nb.count(n)) << n;

  auto darts = param_names(*DartsSpace().build(parse_darts_genotype(kDartsV2), {.image_shape = {1, 8, 8}, .channels = 4, .cells = 3}));
  for (const char* n : {"stem.0.weight", "cells.0.preprocess0.op.1.weight", "cells.0.preprocess1.op.2.weight",
                        "cells.0._ops.0.op.1.weight", "cells.1.preprocess0.op.1.weight",  // cell 1 reduces
                        "cells.2.preprocess0.conv_1.weight", "cells.0._ops.7.op.1.weight", "classifier.bias"})
    EXPECT_TRUE(darts.count(n)) << n;

  auto macro = param_names(*MacroSpace({.num_layers = 3})
                                .build(parse_macro_genotype("3x3 f24 s1 | 1x5 f36 s1 | 7x1 f48 s1 skip=0"), cfg));
  EXPECT_EQ(macro, (std::set<std::string>{"stem.0.weight", "stem.1.weight", "stem.1.bias", "layers.0.conv.weight",
                                          "layers.0.bn.weight", "layers.0.bn.bias", "layers.1.conv.weight",
                                          "layers.1.bn.weight", "layers.1.bn.bias", "layers.2.conv.weight",
                                          "layers.2.bn.weight", "layers.2.bn.bias", "classifier.weight",
                                          "classifier.bias"}));
}

// --- exact costs --------------------------------------------------------------------------

TEST(NasCost, OneLayerMacroByHand) {
  // stem conv3x3 1 -> 4 (no bias) + BN(4); layer 3x5, 24 filters (no bias) + BN(24); linear 24 -> 10.
  const int64_t ci = 1, c = 4, h = 8, w = 8, fh = 3, fw = 5, f = 24, k = 10;
  const int64_t params = ci * c * 9 + 2 * c + c * f * fh * fw + 2 * f + f * k + k;
  const int64_t macs = h * w * c * ci * 9 + h * w * f * c * fh * fw + f * k;
  EXPECT_EQ(params, 1782);
  EXPECT_EQ(macs, 94704);
  MacroSpace space({.num_layers = 1});
  Cost cost = space.cost(parse_macro_genotype("3x5 f24 s1"),
                         {.image_shape = {ci, h, w}, .num_classes = k, .channels = c});
  EXPECT_EQ(cost.params, params);
  EXPECT_EQ(cost.macs, macs);
}

TEST(NasCost, ThreeLayerMacroWithPoolsAndSkipByHand) {
  // L = 3 with fixed pools: 2x2 max-pools after layers 0 and 1, so layer 0 runs
  // at 8x8, layer 1 at 4x4, layer 2 at 2x2; layer 2 reads layer 1 (2x2) and
  // layer 0's output (4x4, pooled once more to 2x2): 36 + 24 input channels.
  const int64_t c = 4, k = 10;
  const int64_t params = (3 * c * 9 + 2 * c)              // stem on 3 channels
                         + (c * 24 * 1 * 3 + 2 * 24)       // layer 0: 1x3, 24
                         + (24 * 36 * 3 * 3 + 2 * 36)      // layer 1: 3x3, 36
                         + ((36 + 24) * 48 * 5 * 1 + 2 * 48)  // layer 2: 5x1, 48, skip from 0
                         + 48 * k + k;
  const int64_t macs = 64 * c * 3 * 9 + 64 * 24 * c * 3 + 16 * 36 * 24 * 9 + 4 * 48 * 60 * 5 + 48 * k;
  MacroSpace space({.num_layers = 3});
  Cost cost = space.cost(parse_macro_genotype("1x3 f24 s1 | 3x3 f36 s1 | 5x1 f48 s1 skip=0"),
                         {.image_shape = {3, 8, 8}, .num_classes = k, .channels = c});
  EXPECT_EQ(cost.params, params);
  EXPECT_EQ(cost.macs, macs);
}

TEST(NasCost, Nb201AllSkipByHand) {
  // Skip-only cells have no weights: the stem, two ResNet reductions, lastact, classifier.
  const int64_t c = 4, k = 10;
  auto block_params = [](int64_t a, int64_t b) { return a * b * 9 + 2 * b + b * b * 9 + 2 * b + a * b; };
  // out_hw: output pixels; conv_a (a -> b, 3x3 s2), conv_b (b -> b, 3x3), downsample conv (a -> b, 1x1).
  auto block_macs = [](int64_t a, int64_t b, int64_t out_hw) { return out_hw * (b * a * 9 + b * b * 9 + b * a); };
  const int64_t params = (c * 9 + 2 * c) + block_params(c, 2 * c) + block_params(2 * c, 4 * c) + 2 * 4 * c +
                         4 * c * k + k;
  const int64_t macs = 64 * c * 9 + block_macs(c, 2 * c, 16) + block_macs(2 * c, 4 * c, 4) + 4 * c * k;
  EXPECT_EQ(params, 4822);
  EXPECT_EQ(macs, 31136);
  Nb201Genotype g;
  g.ops.fill(Nb201Op::skip_connect);
  Cost cost = Nb201Space().cost(g, {.image_shape = {1, 8, 8}, .num_classes = k, .channels = c, .cells = 1});
  EXPECT_EQ(cost.params, params);
  EXPECT_EQ(cost.macs, macs);
}

TEST(NasCost, DartsV2MatchesThePaper) {
  // The DARTS paper's CIFAR-10 network: C = 36, 20 cells, 3.3M parameters;
  // the reference train.py reports "param size = 3.349342MB" (it leaves out the
  // auxiliary head, which this network does not have).
  DartsSpace space;
  Genotype g = parse_darts_genotype(kDartsV2);
  manual_seed(0);
  auto net = space.build(g, {.image_shape = {3, 32, 32}, .num_classes = 10, .channels = 36, .cells = 20});
  const int64_t params = net->parameter_count();
  std::cout << "DARTS_V2, C=36, 20 cells: " << params << " parameters\n";
  EXPECT_EQ(params, 3'349'342);
  // The search-size network (C = 16, 8 cells) is much smaller, and its MACs are positive.
  Cost small = space.cost(g, {.image_shape = {3, 32, 32}, .num_classes = 10, .channels = 16, .cells = 8});
  std::cout << "DARTS_V2, C=16, 8 cells: " << small.params << " parameters, " << small.macs << " MACs\n";
  EXPECT_LT(small.params, params / 4);
  EXPECT_GT(small.macs, 0);
}

// --- errors -----------------------------------------------------------------------------------

TEST(NasBuild, ForeignGenotypeNamesBothSpaces) {
  NetworkConfig cfg{.image_shape = {1, 8, 8}, .channels = 4};
  std::string e = error_of([&] { Nb201Space().build(parse_darts_genotype(kDartsV2), cfg); });
  EXPECT_NE(e.find("nb201"), std::string::npos) << e;
  EXPECT_NE(e.find("darts"), std::string::npos) << e;
  EXPECT_NE(e.find("build"), std::string::npos) << e;
  e = error_of([&] { MacroSpace().cost(Nb201Genotype{}, cfg); });
  EXPECT_NE(e.find("macro"), std::string::npos) << e;
  EXPECT_NE(e.find("nb201"), std::string::npos) << e;
}

TEST(NasBuild, BadConfigsAndGenotypesAreRejected) {
  std::string e = error_of([] { Nb201Space().build(Nb201Genotype{}, {.image_shape = {1, 3, 8}}); });
  EXPECT_NE(e.find("H and W must be >= 4"), std::string::npos) << e;
  e = error_of([] { DartsSpace().build(parse_darts_genotype(kDartsV2), {.image_shape = {1, 8}}); });
  EXPECT_NE(e.find("image_shape"), std::string::npos) << e;
  e = error_of([] { DartsSpace().build(parse_darts_genotype(kDartsV2), {.channels = 0}); });
  EXPECT_NE(e.find("channels"), std::string::npos) << e;
  // Macro: the layer count and the strides must suit the space's options.
  e = error_of([] { MacroSpace({.num_layers = 2}).build(parse_macro_genotype("3x3 f24 s1"), {}); });
  EXPECT_NE(e.find("1 layers, this space has 2"), std::string::npos) << e;
  e = error_of([] { MacroSpace({.num_layers = 1}).build(parse_macro_genotype("3x3 f24 s2"), {}); });
  EXPECT_NE(e.find("stride 2"), std::string::npos) << e;
  EXPECT_NO_THROW(MacroSpace({.num_layers = 1, .search_strides = true}).build(parse_macro_genotype("3x3 f24 s2"), {}));
  // A DARTS space without 'none' does not build a genotype that uses it.
  DartsGenotype none_g = parse_darts_genotype(kDartsV2);
  none_g.normal.edges[3].op = DartsOp::none;
  e = error_of([&] { DartsSpace({.include_none = false}).build(none_g, {}); });
  EXPECT_NE(e.find("normal[3]"), std::string::npos) << e;
}

// --- the DARTS auxiliary head --------------------------------------------------------------

namespace {

// The reference's AuxiliaryHeadCIFAR for C input channels: conv1x1 C -> 128 and its
// BN, conv2x2 128 -> 768 and its BN (affine: weight and bias), linear 768 -> classes.
int64_t aux_head_params(int64_t c, int64_t classes) {
  return c * 128 + 2 * 128 + 128 * 768 * 2 * 2 + 2 * 768 + 768 * classes + classes;
}

std::shared_ptr<DartsNetworkImpl> darts_v2(NetworkConfig cfg, bool auxiliary, uint64_t seed = 4) {
  cfg.auxiliary = auxiliary;
  manual_seed(seed);
  return std::dynamic_pointer_cast<DartsNetworkImpl>(DartsSpace().build(parse_darts_genotype(kDartsV2), cfg));
}

}  // namespace

TEST(NasAuxiliaryHead, MapsEveryMapOfTwoByTwoOrMoreToLogits) {
  manual_seed(1);
  // 8x8: CIFAR's map at 2/3 depth (pool 5x5 stride 3); 7x7: Fashion-MNIST's (4x4 stride 3);
  // non-square and the smallest map (2x2: pool 1x1 stride 1).
  for (auto [h, w] : {std::pair<int64_t, int64_t>{8, 8}, {7, 7}, {7, 4}, {2, 2}}) {
    AuxiliaryHeadImpl head(6, h, w, 5);
    EXPECT_EQ(head.forward(randn({3, 6, h, w})).shape(), (Shape{3, 5})) << h << "x" << w;
    EXPECT_EQ(head.parameter_count(), aux_head_params(6, 5));
  }
  std::string e = error_of([] { AuxiliaryHeadImpl(6, 1, 4, 5); });
  EXPECT_NE(e.find("auxiliary head needs a map of at least 2x2, got 1x4"), std::string::npos) << e;
  e = error_of([] { AuxiliaryHeadImpl(6, 7, 7, 5).forward(randn({1, 6, 8, 8})); });
  EXPECT_NE(e.find("expected input [N, 6, 7, 7]"), std::string::npos) << e;
}

TEST(NasAuxiliaryHead, AddsOnlyTheHeadsParametersUnderItsOwnNames) {
  // The paper's CIFAR-10 network (3,349,342 parameters without the head) reads cell
  // 13 (of 20) with 4 x 144 = 576 channels on an 8x8 map.
  const NetworkConfig paper{.image_shape = {3, 32, 32}, .num_classes = 10, .channels = 36, .cells = 20};
  EXPECT_EQ(darts_v2(paper, true)->parameter_count(), 3'349'342 + aux_head_params(576, 10));
  // Fashion-MNIST, C = 4, 5 cells: cell 3 (the second reduction), 4 x 16 = 64 channels on 7x7.
  const NetworkConfig fm{.image_shape = {1, 28, 28}, .num_classes = 10, .channels = 4, .cells = 5};
  auto with = darts_v2(fm, true), without = darts_v2(fm, false);
  EXPECT_TRUE(with->has_auxiliary());
  EXPECT_FALSE(without->has_auxiliary());
  EXPECT_EQ(with->parameter_count() - without->parameter_count(), aux_head_params(64, 10));
  std::set<std::string> extra = param_names(*with), base = param_names(*without);
  for (const std::string& n : base) EXPECT_EQ(extra.erase(n), 1u) << n;  // existing names unchanged
  EXPECT_EQ(extra, (std::set<std::string>{"auxiliary_head.features.2.weight", "auxiliary_head.features.3.weight",
                                          "auxiliary_head.features.3.bias", "auxiliary_head.features.5.weight",
                                          "auxiliary_head.features.6.weight", "auxiliary_head.features.6.bias",
                                          "auxiliary_head.classifier.weight", "auxiliary_head.classifier.bias"}));
}

TEST(NasAuxiliaryHead, TrainsWithTheMainLossAndEvalIgnoresIt) {
  const NetworkConfig cfg{.image_shape = {1, 12, 12}, .num_classes = 4, .channels = 2, .cells = 3};
  auto with = darts_v2(cfg, true), without = darts_v2(cfg, false);
  Generator gen(5);
  const Tensor x = randn({4, 1, 12, 12}, {}, &gen);
  const Tensor y = randint(4, {4}, Device::cpu(), &gen);

  // Training mode: both logits; the head's loss reaches the head and the cells below it.
  DartsOutput o = with->forward_with_auxiliary(x);
  ASSERT_TRUE(o.auxiliary.defined());
  EXPECT_EQ(o.auxiliary.shape(), (Shape{4, 4}));
  EXPECT_EQ(o.logits.shape(), (Shape{4, 4}));
  Tensor loss = cross_entropy(o.logits, y) + cross_entropy(o.auxiliary, y) * 0.4;
  with->zero_grad();
  loss.backward();
  for (const auto& [name, p] : with->named_parameters()) {
    if (name == "auxiliary_head.features.2.weight" || name == "auxiliary_head.classifier.weight" ||
        name == "stem.0.weight") {
      ASSERT_TRUE(p.grad().defined()) << name;
      EXPECT_GT(abs_sum(p.grad()), 0) << name;
    }
  }
  // forward() alone never runs the head: its parameters get no gradient.
  with->zero_grad();
  cross_entropy(with->forward(x), y).backward();
  for (const auto& [name, p] : with->named_parameters()) {
    if (name.rfind("auxiliary_head.", 0) == 0) {
      EXPECT_FALSE(p.grad().defined()) << name;
    }
  }

  // Eval mode: no auxiliary logits, and the same logits as the network built without
  // the head from the same seed (the head is initialised after every other parameter).
  with->eval();
  without->eval();
  const Tensor xe = randn({2, 1, 12, 12}, {}, &gen);
  DartsOutput e = with->forward_with_auxiliary(xe);
  EXPECT_FALSE(e.auxiliary.defined());
  EXPECT_EQ(e.logits.to_vector<float>(), with->forward(xe).to_vector<float>());
  auto fresh_with = darts_v2(cfg, true), fresh_without = darts_v2(cfg, false);
  fresh_with->eval();
  fresh_without->eval();
  EXPECT_EQ(fresh_with->forward(xe).to_vector<float>(), fresh_without->forward(xe).to_vector<float>());
}

TEST(NasAuxiliaryHead, NetworkConfigJsonCarriesTheFlag) {
  NetworkConfig cfg{.channels = 4, .cells = 5};
  EXPECT_FALSE(nlohmann::json(cfg).contains("auxiliary"));  // configs written before the flag read back equal
  cfg.auxiliary = true;
  const nlohmann::json j = cfg;
  EXPECT_EQ(j["auxiliary"], true);
  EXPECT_EQ(j.get<NetworkConfig>(), cfg);
  std::string e = error_of([] { (void)nlohmann::json({{"auxiliary", 1}}).get<NetworkConfig>(); });
  EXPECT_NE(e.find("network config: auxiliary: expected true or false, got 1"), std::string::npos) << e;
}
