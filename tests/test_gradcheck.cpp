// Finite-difference gradchecks of every registered differentiable op (one
// test per registered case), plus checks of gradcheck itself.
#include <gtest/gtest.h>

#include <set>
#include <unordered_set>

#include "autograd/case_inputs.h"
#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "autograd/meta.h"
#include "autograd/node.h"
#include "autograd/registry.h"
#include "tensor/backend.h"
#include "tensor/factory.h"

using namespace nf;
using namespace nf::autograd;

namespace {

struct CaseRef {
  const OpDef* op;
  size_t index;
};

std::vector<CaseRef> all_cases() {
  std::vector<CaseRef> out;
  for (const OpDef* op : registered_ops())
    for (size_t i = 0; i < op->cases().size(); ++i) out.push_back({op, i});
  return out;
}

std::string case_name(const CaseRef& c) {
  std::string name = c.op->name() + "_" + c.op->cases()[c.index].variant;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

bool cuda_available() {
  try {
    backend_for(Device::cuda());
    return true;
  } catch (const Error&) {
    return false;
  }
}

// Names of every node in the graph behind `t`.
std::set<std::string> node_names(const Tensor& t) {
  std::set<std::string> names;
  if (!t.impl().autograd || !t.impl().autograd->grad_fn) return names;
  std::vector<const Node*> stack = {t.impl().autograd->grad_fn.get()};
  std::unordered_set<const Node*> seen;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    names.insert(n->name());
    for (const Edge& e : n->next_edges)
      if (e.node) stack.push_back(e.node.get());
  }
  return names;
}

class Gradcheck : public ::testing::TestWithParam<CaseRef> {};

}  // namespace

TEST_P(Gradcheck, AnalyticMatchesFiniteDifferences) {
  const OpDef& op = *GetParam().op;
  const GradcheckCase& c = op.cases()[GetParam().index];
  if (c.needs_cuda && !cuda_available()) GTEST_SKIP() << "no CUDA device";
  Generator gen(1234);
  Inputs inputs = c.make_inputs(gen);

  // The case exercises its op, and every node it records is registered.
  std::set<std::string> names = node_names(c.run(inputs));
  EXPECT_TRUE(names.count(op.name())) << "case " << c.variant << " of " << op.name()
                                      << " records no " << op.name() << " node";
  for (const std::string& n : names) EXPECT_NE(find_op(n), nullptr) << "unregistered node " << n;

  GradcheckReport rep = gradcheck(c.run, inputs, c.options);
  EXPECT_TRUE(rep.ok) << rep.message;
  EXPECT_GT(rep.backward_passes, 0);
}

INSTANTIATE_TEST_SUITE_P(Registry, Gradcheck, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<CaseRef>& info) { return case_name(info.param); });

TEST(Registry, EveryOpHasNamedCases) {
  auto ops = registered_ops();
  EXPECT_GE(ops.size(), 40u);
  for (const OpDef* op : ops) {
    EXPECT_FALSE(op->cases().empty()) << op->name();
    std::set<std::string> variants;
    for (const auto& c : op->cases()) {
      EXPECT_FALSE(c.variant.empty()) << op->name();
      EXPECT_TRUE(variants.insert(c.variant).second) << op->name() << " repeats " << c.variant;
      EXPECT_TRUE(c.make_inputs && c.run) << op->name() << "/" << c.variant;
    }
  }
  for (const char* name : {"add", "matmul", "conv2d", "batch_norm", "max_pool2d", "nll_loss"})
    EXPECT_NE(find_op(name), nullptr) << name;
}

TEST(Registry, DuplicateOrEmptyRegistrationThrows) {
  EXPECT_THROW(register_op("mul", {{.variant = "x", .make_inputs = {}, .run = {}}}), Error);
  EXPECT_THROW(register_op("op_without_cases", {}), Error);
}

TEST(GradcheckItself, DetectsAWrongGradient) {
  // x * detach(x): the analytic gradient misses one of the two terms.
  Generator gen(5);
  Tensor x = cases::randn64({3}, gen);
  auto rep = gradcheck([](const Inputs& in) { return mul(in[0], in[0].detach()); }, {x});
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.message.find("analytic"), std::string::npos) << rep.message;
  EXPECT_GT(rep.worst_ratio, 1.0);
  EXPECT_EQ(rep.worst_input, 0);
}

TEST(GradcheckItself, FlagsInputsAtAKink) {
  Tensor x = from_vector<double>({0.7, 0.0, -0.4}, {3});
  x.requires_grad_();
  auto rep = gradcheck([](const Inputs& in) { return relu(in[0]); }, {x});
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.message.find("input0[1] is within eps"), std::string::npos) << rep.message;

  Tensor tied = from_vector<double>({0.5, 0.5, -1.0}, {3});  // max with a tie
  tied.requires_grad_();
  rep = gradcheck([](const Inputs& in) { return nf::max(in[0]); }, {tied});
  EXPECT_FALSE(rep.ok);
  EXPECT_NE(rep.message.find("kink"), std::string::npos) << rep.message;
}

TEST(GradcheckItself, KinkedCasesAreBuiltAwayFromKinks) {
  // The registered cases of the non-smooth ops pass the kink check (on top of
  // the gradcheck itself), over several seeds.
  for (const char* name : {"relu", "abs", "max", "max_pool2d"}) {
    const OpDef* op = find_op(name);
    ASSERT_NE(op, nullptr) << name;
    for (const auto& c : op->cases()) {
      for (uint64_t seed : {1, 2, 3}) {
        Generator gen(seed);
        Inputs in = c.make_inputs(gen);
        auto rep = gradcheck(c.run, in, {.check_kinks = true});
        EXPECT_TRUE(rep.ok) << name << "/" << c.variant << " seed " << seed << ": " << rep.message;
      }
    }
  }
}
