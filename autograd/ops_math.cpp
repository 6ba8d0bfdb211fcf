// Elementwise math. Ops whose derivative is a function of their result
// (exp, sqrt, tanh, sigmoid, relu) save the result rather than the input.
#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

GradcheckCase unary_case(Tensor (*op)(const Tensor&), double lo = 0, double hi = 0) {
  return {.variant = "basic",
          .make_inputs = [=](Generator& g) {
            return Inputs{lo < hi ? uniform64({3, 5}, lo, hi, g) : randn64({3, 5}, g)};
          },
          .run = [op](const Inputs& x) { return op(x[0]); }};
}

// Kinked ops get inputs at least 0.1 away from 0.
GradcheckCase kinked_case(Tensor (*op)(const Tensor&)) {
  return {.variant = "away_from_kink",
          .make_inputs = [](Generator& g) { return Inputs{away_from_zero64({3, 5}, g)}; },
          .run = [op](const Inputs& x) { return op(x[0]); }};
}

const OpDef& kExp = register_op("exp", {unary_case(exp)});
const OpDef& kLog = register_op("log", {unary_case(log, 0.5, 2.0)});
const OpDef& kSqrt = register_op("sqrt", {unary_case(sqrt, 0.5, 2.0)});
const OpDef& kTanh = register_op("tanh", {unary_case(tanh)});
const OpDef& kSigmoid = register_op("sigmoid", {unary_case(sigmoid)});
const OpDef& kRelu = register_op("relu", {kinked_case(relu)});
const OpDef& kAbs = register_op("abs", {kinked_case(abs)});
const OpDef& kWhere = register_op("where", {
    {.variant = "broadcast",
     .make_inputs = [](Generator& g) {
       std::vector<uint8_t> c(15);
       for (size_t i = 0; i < c.size(); ++i) c[i] = (i * 7 % 3) != 0;
       return Inputs{from_vector(c, {3, 5}), randn64({3, 5}, g), randn64({5}, g)};
     },
     .run = [](const Inputs& x) { return where(x[0], x[1], x[2]); }}});

}  // namespace

Tensor exp(const Tensor& x) {
  Tensor y = raw::exp(x);
  return record(kExp, {x}, y, {y}, [](const BackwardContext& c) {
    return Grads{raw::mul(c.grad_output(), c.saved(0))};
  });
}

Tensor log(const Tensor& x) {
  return record(kLog, {x}, raw::log(x), {x}, [](const BackwardContext& c) {
    return Grads{raw::div(c.grad_output(), c.saved(0))};
  });
}

// d sqrt(x) = 1 / (2 sqrt(x)).
Tensor sqrt(const Tensor& x) {
  Tensor y = raw::sqrt(x);
  return record(kSqrt, {x}, y, {y}, [](const BackwardContext& c) {
    return Grads{raw::div(raw::mul_scalar(c.grad_output(), 0.5), c.saved(0))};
  });
}

// d tanh = 1 - y^2.
Tensor tanh(const Tensor& x) {
  Tensor y = raw::unary(UnaryOp::tanh, x);
  return record(kTanh, {x}, y, {y}, [](const BackwardContext& c) {
    Tensor y = c.saved(0);
    Tensor d = raw::unary(UnaryOp::rsub_scalar, raw::unary(UnaryOp::square, y), 1.0);
    return Grads{raw::mul(c.grad_output(), d)};
  });
}

// d sigmoid = y (1 - y).
Tensor sigmoid(const Tensor& x) {
  Tensor y = raw::unary(UnaryOp::sigmoid, x);
  return record(kSigmoid, {x}, y, {y}, [](const BackwardContext& c) {
    Tensor y = c.saved(0);
    Tensor d = raw::mul(y, raw::unary(UnaryOp::rsub_scalar, y, 1.0));
    return Grads{raw::mul(c.grad_output(), d)};
  });
}

// relu(x) > 0 exactly where x > 0, so the result gives the mask.
Tensor relu(const Tensor& x) {
  Tensor y = raw::unary(UnaryOp::relu, x);
  return record(kRelu, {x}, y, {y}, [](const BackwardContext& c) {
    return Grads{raw::mul(c.grad_output(), raw::unary(UnaryOp::relu_grad_mask, c.saved(0)))};
  });
}

Tensor abs(const Tensor& x) {
  return record(kAbs, {x}, raw::unary(UnaryOp::abs, x), {x}, [](const BackwardContext& c) {
    return Grads{raw::mul(c.grad_output(), raw::unary(UnaryOp::sign, c.saved(0)))};
  });
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  return record(kWhere, {cond, a, b}, raw::where(cond, a, b), {cond}, [](const BackwardContext& c) {
    const Tensor& g = c.grad_output();
    Tensor cond = c.saved(0);
    Tensor zero = scalar_tensor(0.0, {g.dtype(), g.device()});
    Grads out(3);
    if (c.needs_input_grad(1)) out[1] = raw::sum_to(raw::where(cond, g, zero), c.input_shape(1));
    if (c.needs_input_grad(2)) out[2] = raw::sum_to(raw::where(cond, zero, g), c.input_shape(2));
    return out;
  });
}

namespace autograd::detail {
void link_ops_math() {}
}  // namespace autograd::detail

}  // namespace nf
