// softmax / log_softmax and the losses. Softmaxes save their result y:
//   softmax:     grad_x = y * (g - sum(g * y))
//   log_softmax: grad_x = g - exp(y) * sum(g)
// (sums over `dim`, computed by the fused kernel).
#include <algorithm>

#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

GradcheckCase softmax_case(std::string variant, Shape s, int64_t dim, bool log) {
  return {.variant = std::move(variant),
          .make_inputs = [=](Generator& g) { return Inputs{randn64(s, g)}; },
          .run = [=](const Inputs& x) { return log ? log_softmax(x[0], dim) : softmax(x[0], dim); }};
}

const OpDef& kSoftmax = register_op("softmax", {softmax_case("last", {3, 5}, -1, false),
                                                softmax_case("middle", {3, 5, 3}, 1, false)});
const OpDef& kLogSoftmax = register_op("log_softmax", {softmax_case("last", {3, 5}, -1, true),
                                                       softmax_case("middle", {3, 5, 3}, 1, true)});
const OpDef& kNllLoss = register_op("nll_loss", {
    {.variant = "plain",
     .make_inputs = [](Generator& g) { return Inputs{randn64({5, 7}, g), index64({0, 6, 3, 3, 1}, {5})}; },
     .run = [](const Inputs& x) { return nll_loss(x[0], x[1]); }},
    {.variant = "ignore_index",
     .make_inputs = [](Generator& g) { return Inputs{randn64({5, 7}, g), index64({2, -1, 5, -1, 0}, {5})}; },
     .run = [](const Inputs& x) { return nll_loss(x[0], x[1], -1); }},
    {.variant = "cross_entropy",
     .make_inputs = [](Generator& g) { return Inputs{randn64({5, 7}, g), index64({4, 0, 6, 2, 2}, {5})}; },
     .run = [](const Inputs& x) { return cross_entropy(x[0], x[1]); }}});
const OpDef& kMseLoss = register_op("mse_loss", {
    {.variant = "basic",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g), randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return mse_loss(x[0], x[1]); }}});

Tensor softmax_impl(const OpDef& op, const Tensor& x, int64_t dim, bool log) {
  Tensor y = log ? raw::log_softmax(x, dim) : raw::softmax(x, dim);
  return record(op, {x}, y, {y}, [dim, log](const BackwardContext& c) {
    return Grads{raw::softmax_backward(c.grad_output(), c.saved(0), dim, log)};
  });
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_impl(kSoftmax, x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_impl(kLogSoftmax, x, dim, true); }

Tensor nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index) {
  return record(kNllLoss, {logp, target}, raw::nll_loss(logp, target, ignore_index), {logp, target},
                [ignore_index](const BackwardContext& c) {
                  return Grads{raw::nll_loss_backward(c.grad_output(), c.saved(0), c.saved(1), ignore_index),
                               Tensor{}};
                });
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index) {
  return nll_loss(log_softmax(logits, 1), target, ignore_index);
}

// d/d pred = 2 (pred - target) / n, d/d target = the negation.
Tensor mse_loss(const Tensor& pred, const Tensor& target) {
  NF_CHECK(pred.shape() == target.shape(), "mse_loss: pred ", shape_str(pred.shape()),
           " and target ", shape_str(target.shape()), " differ in shape");
  Tensor diff = raw::sub(pred, target);
  Tensor out = raw::mean(raw::unary(UnaryOp::square, diff));
  double scale = 2.0 / static_cast<double>(std::max<int64_t>(diff.numel(), 1));
  return record(kMseLoss, {pred, target}, out, {diff}, [scale](const BackwardContext& c) {
    Tensor d = raw::mul(raw::mul_scalar(c.saved(0), scale), c.grad_output());
    return Grads{keep_if(c.needs_input_grad(0), d),
                 c.needs_input_grad(1) ? raw::neg(d) : Tensor{}};
  });
}

namespace autograd::detail {
void link_ops_loss() {}
}  // namespace autograd::detail

}  // namespace nf
