// nn::Module: registration, dotted names, traversal order, modes, dtype moves,
// zero_grad, containers and their errors.
#include <gtest/gtest.h>

#include "autograd/functions.h"
#include "nn/nn.h"
#include "test_nn_util.h"

using namespace nf;
using nf::nn_test::error_of;

namespace {

// A two-level module: own parameter + buffer, then a child Sequential.
class Net : public nn::Module {
 public:
  Net() : Module("Net") {
    scale = register_parameter("scale", ones({3}));
    count = register_buffer("count", zeros({1}, {DType::i64}));
    features = register_module("features", nn::Sequential(nn::Linear(3, 4), nn::ReLU(), nn::Linear(4, 2, false)));
  }
  Tensor forward(const Tensor& x) override { return features->forward(x * scale); }
  Tensor scale, count;
  std::shared_ptr<nn::SequentialImpl> features;
};

std::vector<std::string> names(const nn::NamedTensors& nt) {
  std::vector<std::string> out;
  for (const auto& e : nt) out.push_back(e.first);
  return out;
}

}  // namespace

TEST(Module, NamedParametersUseDottedPathsInRegistrationOrder) {
  Net net;
  EXPECT_EQ(names(net.named_parameters()),
            (std::vector<std::string>{"scale", "features.0.weight", "features.0.bias", "features.2.weight"}));
  EXPECT_EQ(names(net.named_parameters(false)), std::vector<std::string>{"scale"});
  EXPECT_EQ(names(net.named_buffers()), std::vector<std::string>{"count"});
  EXPECT_EQ(names(net.named_state()), (std::vector<std::string>{"scale", "count", "features.0.weight",
                                                                  "features.0.bias", "features.2.weight"}));
  EXPECT_EQ(net.parameters().size(), 4u);
  EXPECT_EQ(net.parameter_count(), 3 + 12 + 4 + 8);
  for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.requires_grad() && p.is_leaf());
  // Handles share the registered tensor.
  EXPECT_TRUE(net.named_parameters()[0].second.same_data(net.scale));
}

TEST(Module, SharedChildParametersAreListedOnce) {
  auto lin = nn::Linear(2, 2);
  auto seq = nn::Sequential(lin, lin);
  EXPECT_EQ(seq->named_parameters().size(), 4u);  // two names each
  EXPECT_EQ(seq->parameters().size(), 2u);        // but the optimizer sees each tensor once
}

TEST(Module, RegistrationErrors) {
  nn::Module m("Custom");
  m.register_parameter("w", zeros({2}));
  EXPECT_EQ(error_of([&] { m.register_buffer("w", zeros({2})); }),
            "Custom: buffer name 'w' is already registered");
  EXPECT_EQ(error_of([&] { m.register_parameter("a.b", zeros({2})); }),
            "Custom: invalid parameter name 'a.b' (must be non-empty and contain no '.')");
  EXPECT_EQ(error_of([&] { m.register_parameter("idx", zeros({2}, {DType::i64})); }),
            "Custom: parameter 'idx' must be floating, got i64");
  EXPECT_EQ(error_of([&] { m.forward(zeros({1})); }),
            "Custom: this module has no forward(Tensor); use its own entry points");
}

TEST(Module, TrainEvalIsRecursive) {
  Net net;
  EXPECT_TRUE(net.is_training());
  net.eval();
  EXPECT_FALSE(net.is_training());
  for (const auto& c : net.features->children()) EXPECT_FALSE(c->is_training());
  net.train();
  for (const auto& c : net.features->children()) EXPECT_TRUE(c->is_training());
}

TEST(Module, ToDTypeCastsFloatingStateInPlaceOfEveryHandle) {
  Net net;
  Tensor held = net.features->named_parameters()[0].second;  // a handle taken before the move
  std::vector<double> before = held.to_vector<double>();
  net.to(DType::f64);
  EXPECT_EQ(held.dtype(), DType::f64);
  EXPECT_EQ(net.scale.dtype(), DType::f64);
  EXPECT_EQ(net.count.dtype(), DType::i64);  // non-floating buffers stay
  EXPECT_TRUE(held.requires_grad());
  std::vector<double> after = held.to_vector<double>();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], double(float(before[i])));
  Tensor y = net.forward(ones({5, 3}, {DType::f64}));
  EXPECT_EQ(y.dtype(), DType::f64);
  EXPECT_EQ(y.shape(), (Shape{5, 2}));
  net.to(Device::cpu());  // a no-op move keeps everything
  EXPECT_EQ(held.dtype(), DType::f64);
}

TEST(Module, ZeroGradDropsEveryGradient) {
  Net net;
  net.forward(ones({2, 3})).sum().backward();
  for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.grad().defined());
  net.zero_grad();
  for (const Tensor& p : net.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Sequential, RunsChildrenInOrderAndIndexes) {
  auto seq = nn::Sequential(nn::Linear(3, 3), nn::Tanh());
  ASSERT_EQ(seq->size(), 2u);
  EXPECT_EQ((*seq)[1]->type_name(), "Tanh");
  Tensor x = randn({4, 3});
  Tensor expected = tanh((*seq)[0]->forward(x));
  nf::nn_test::expect_values(seq->forward(x), expected.to_vector<double>(), 1e-6);
  EXPECT_NE(error_of([&] { (*seq)[2]; }).find("Sequential: index 2 out of range for 2 modules"),
            std::string::npos);
}

TEST(Sequential, ErrorsNameTheFailingStage) {
  auto seq = nn::Sequential(nn::Linear(3, 4), nn::Linear(5, 2));
  EXPECT_EQ(error_of([&] { seq->forward(zeros({2, 3})); }),
            "Sequential: module 1 (Linear): Linear: input [2,4] does not end in in_features=5");
}

TEST(ModuleList, HoldsAndTypesItsModules) {
  auto list = nn::ModuleList(nn::Linear(2, 3), nn::ReLU());
  list->push_back(nn::Conv2d(1, 1, 1));
  EXPECT_EQ(list->size(), 3u);
  EXPECT_EQ(list->named_parameters().size(), 4u);
  EXPECT_EQ(list->named_parameters()[2].first, "2.weight");
  EXPECT_EQ(list->at<nn::LinearImpl>(0)->out_features, 3);
  EXPECT_EQ(error_of([&] { list->at<nn::LinearImpl>(1); }),
            "ModuleList: element 1 is a ReLU, not the requested type");
  EXPECT_NE(error_of([&] { list->forward(zeros({1})); }).find("ModuleList: this module has no forward"),
            std::string::npos);
}
