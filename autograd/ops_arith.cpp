// Arithmetic with broadcasting: the gradient of a broadcast operand is summed
// back to its shape with raw::sum_to.
#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

// Cases of a binary op: equal shapes, one-sided and two-sided broadcasting.
std::vector<GradcheckCase> binary_cases(Tensor (*op)(const Tensor&, const Tensor&), double lo_b = 0,
                                        double hi_b = 0) {
  auto b_input = [lo_b, hi_b](const Shape& s, Generator& g) {
    return lo_b < hi_b ? uniform64(s, lo_b, hi_b, g) : randn64(s, g);
  };
  auto run = [op](const Inputs& x) { return op(x[0], x[1]); };
  return {
      {.variant = "same_shape",
       .make_inputs = [=](Generator& g) { return Inputs{randn64({3, 5}, g), b_input({3, 5}, g)}; },
       .run = run},
      {.variant = "broadcast_b",
       .make_inputs = [=](Generator& g) { return Inputs{randn64({3, 5}, g), b_input({5}, g)}; },
       .run = run},
      {.variant = "broadcast_both",
       .make_inputs = [=](Generator& g) { return Inputs{randn64({3, 1}, g), b_input({1, 5}, g)}; },
       .run = run},
  };
}

}  // namespace

namespace {
const OpDef& kAdd = register_op("add", binary_cases(add));
const OpDef& kSub = register_op("sub", binary_cases(sub));
const OpDef& kMul = register_op("mul", binary_cases(mul));
const OpDef& kDiv = register_op("div", binary_cases(div, 0.5, 2.0));
const OpDef& kPow = register_op("pow", {
    {.variant = "broadcast",
     .make_inputs = [](Generator& g) { return Inputs{uniform64({3, 5}, 0.5, 2.0, g), randn64({5}, g)}; },
     .run = [](const Inputs& x) { return pow(x[0], x[1]); }}});
const OpDef& kNeg = register_op("neg", {
    {.variant = "basic",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return -x[0]; }}});
const OpDef& kAddScalar = register_op("add_scalar", {
    {.variant = "plus",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return 2.5 + x[0]; }},
    {.variant = "minus",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return x[0] - 1.5; }}});
const OpDef& kRsubScalar = register_op("rsub_scalar", {
    {.variant = "basic",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return 1.5 - x[0]; }}});
const OpDef& kMulScalar = register_op("mul_scalar", {
    {.variant = "times",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return -3.0 * x[0]; }},
    {.variant = "divided",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return x[0] / 4.0; }}});
const OpDef& kPowScalar = register_op("pow_scalar", {
    {.variant = "fractional",
     .make_inputs = [](Generator& g) { return Inputs{uniform64({3, 5}, 0.5, 2.0, g)}; },
     .run = [](const Inputs& x) { return pow(x[0], 2.5); }},
    {.variant = "cube",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return pow(x[0], 3.0); }},
    {.variant = "reciprocal",
     .make_inputs = [](Generator& g) { return Inputs{uniform64({3, 5}, 0.5, 2.0, g)}; },
     .run = [](const Inputs& x) { return 2.0 / x[0]; }}});
}  // namespace

Tensor add(const Tensor& a, const Tensor& b) {
  return record(kAdd, {a, b}, raw::add(a, b), {}, [](const BackwardContext& c) {
    const Tensor& g = c.grad_output();
    return Grads{c.needs_input_grad(0) ? raw::sum_to(g, c.input_shape(0)) : Tensor{},
                 c.needs_input_grad(1) ? raw::sum_to(g, c.input_shape(1)) : Tensor{}};
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return record(kSub, {a, b}, raw::sub(a, b), {}, [](const BackwardContext& c) {
    const Tensor& g = c.grad_output();
    return Grads{c.needs_input_grad(0) ? raw::sum_to(g, c.input_shape(0)) : Tensor{},
                 c.needs_input_grad(1) ? raw::sum_to(raw::neg(g), c.input_shape(1)) : Tensor{}};
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return record(kMul, {a, b}, raw::mul(a, b),
                {keep_if(b.requires_grad(), a), keep_if(a.requires_grad(), b)},
                [](const BackwardContext& c) {
                  const Tensor& g = c.grad_output();
                  Grads out(2);
                  if (c.needs_input_grad(0)) out[0] = raw::sum_to(raw::mul(g, c.saved(1)), c.input_shape(0));
                  if (c.needs_input_grad(1)) out[1] = raw::sum_to(raw::mul(g, c.saved(0)), c.input_shape(1));
                  return out;
                });
}

// d(a/b)/da = 1/b, d(a/b)/db = -a/b^2.
Tensor div(const Tensor& a, const Tensor& b) {
  return record(kDiv, {a, b}, raw::div(a, b), {keep_if(b.requires_grad(), a), b},
                [](const BackwardContext& c) {
                  const Tensor& g = c.grad_output();
                  Tensor b = c.saved(1);
                  Tensor g_over_b = raw::div(g, b);
                  Grads out(2);
                  if (c.needs_input_grad(0)) out[0] = raw::sum_to(g_over_b, c.input_shape(0));
                  if (c.needs_input_grad(1))
                    out[1] = raw::sum_to(raw::neg(raw::mul(g_over_b, raw::div(c.saved(0), b))),
                                         c.input_shape(1));
                  return out;
                });
}

// d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log(a).
Tensor pow(const Tensor& base, const Tensor& exponent) {
  Tensor out = raw::binary(BinaryOp::pow, base, exponent);
  return record(kPow, {base, exponent}, out, {base, exponent, keep_if(exponent.requires_grad(), out)},
                [](const BackwardContext& c) {
                  const Tensor& g = c.grad_output();
                  Tensor a = c.saved(0), b = c.saved(1);
                  Grads grads(2);
                  if (c.needs_input_grad(0)) {
                    Tensor d = raw::mul(b, raw::binary(BinaryOp::pow, a, raw::add_scalar(b, -1.0)));
                    grads[0] = raw::sum_to(raw::mul(g, d), c.input_shape(0));
                  }
                  if (c.needs_input_grad(1))
                    grads[1] = raw::sum_to(raw::mul(g, raw::mul(c.saved(2), raw::log(a))), c.input_shape(1));
                  return grads;
                });
}

Tensor neg(const Tensor& x) {
  return record(kNeg, {x}, raw::neg(x), {},
                [](const BackwardContext& c) { return Grads{raw::neg(c.grad_output())}; });
}

Tensor add(const Tensor& x, double s) {
  return record(kAddScalar, {x}, raw::add_scalar(x, s), {},
                [](const BackwardContext& c) { return Grads{c.grad_output()}; });
}

Tensor sub(const Tensor& x, double s) { return add(x, -s); }

Tensor rsub(double s, const Tensor& x) {
  return record(kRsubScalar, {x}, raw::unary(UnaryOp::rsub_scalar, x, s), {},
                [](const BackwardContext& c) { return Grads{raw::neg(c.grad_output())}; });
}

Tensor mul(const Tensor& x, double s) {
  return record(kMulScalar, {x}, raw::mul_scalar(x, s), {},
                [s](const BackwardContext& c) { return Grads{raw::mul_scalar(c.grad_output(), s)}; });
}

Tensor div(const Tensor& x, double s) { return mul(x, 1.0 / s); }

// d(x^p)/dx = p x^(p-1).
Tensor pow(const Tensor& x, double exponent) {
  return record(kPowScalar, {x}, raw::pow_scalar(x, exponent), {x},
                [exponent](const BackwardContext& c) {
                  Tensor d = raw::mul_scalar(raw::pow_scalar(c.saved(0), exponent - 1.0), exponent);
                  return Grads{raw::mul(c.grad_output(), d)};
                });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator+(const Tensor& x, double s) { return add(x, s); }
Tensor operator+(double s, const Tensor& x) { return add(x, s); }
Tensor operator-(const Tensor& x, double s) { return sub(x, s); }
Tensor operator-(double s, const Tensor& x) { return rsub(s, x); }
Tensor operator*(const Tensor& x, double s) { return mul(x, s); }
Tensor operator*(double s, const Tensor& x) { return mul(x, s); }
Tensor operator/(const Tensor& x, double s) { return div(x, s); }
Tensor operator/(double s, const Tensor& x) { return mul(pow(x, -1.0), s); }

namespace autograd::detail {
void link_ops_arith() {}
}  // namespace autograd::detail

}  // namespace nf
