// The registry of differentiable ops. An op's graph node can only be recorded
// through its OpDef (see record() in autograd/node.h), and an OpDef can only
// be made by register_op(), which requires at least one gradcheck case. So no
// op gets a backward without a finite-difference check, and
// tests/test_gradcheck.cpp enumerates registered_ops() to run them all.
//
// Each autograd/ops_*.cpp registers its ops at static initialisation:
//
//   const OpDef& kMul = register_op("mul", {
//       {.variant = "broadcast",
//        .make_inputs = [](Generator& g) { return std::vector{randn64({3, 5}, g), randn64({5}, g)}; },
//        .run = [](const Inputs& x) { return mul(x[0], x[1]); }}});
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "autograd/gradcheck.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

namespace nf::autograd {

using Inputs = std::vector<Tensor>;

// One gradcheck case of an op: a builder of f64 inputs with fixed small odd
// shapes (the differentiable ones require grad; indices/targets do not), the
// invocation, and the tolerances it needs.
struct GradcheckCase {
  std::string variant;  // tells the cases of one op apart, e.g. "broadcast"
  std::function<Inputs(Generator&)> make_inputs;
  std::function<Tensor(const Inputs&)> run;
  GradcheckOptions options = {};
  bool needs_cuda = false;  // skipped in builds or on machines without a CUDA device
};

class OpDef {
 public:
  const std::string& name() const { return name_; }
  const std::vector<GradcheckCase>& cases() const { return cases_; }

 private:
  OpDef(std::string name, std::vector<GradcheckCase> cases)
      : name_(std::move(name)), cases_(std::move(cases)) {}
  friend const OpDef& register_op(std::string name, std::vector<GradcheckCase> cases);

  std::string name_;
  std::vector<GradcheckCase> cases_;
};

// Registers an op (throws on a duplicate name or an empty case list). The
// returned reference stays valid for the program's lifetime.
const OpDef& register_op(std::string name, std::vector<GradcheckCase> cases);

// Every registered op, sorted by name.
std::vector<const OpDef*> registered_ops();
// The op named `name`, or nullptr.
const OpDef* find_op(std::string_view name);

}  // namespace nf::autograd
