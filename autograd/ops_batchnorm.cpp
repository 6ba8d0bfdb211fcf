// batch_norm over the channels (dim 1) of x [N,C,*]. The running statistics
// are buffers, not inputs: training updates them in place in the forward and
// they get no gradient.
#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

// Training cases pass no running statistics, so repeated forwards (finite
// differences) see identical state.
const OpDef& kBatchNorm = register_op("batch_norm", {
    {.variant = "train_affine",
     .make_inputs = [](Generator& g) {
       return Inputs{randn64({3, 5, 3, 3}, g), uniform64({5}, 0.5, 1.5, g), randn64({5}, g)};
     },
     .run = [](const Inputs& x) { return batch_norm(x[0], x[1], x[2], {}, {}, true); }},
    {.variant = "train_plain",
     .make_inputs = [](Generator& g) { return Inputs{randn64({5, 3}, g)}; },
     .run = [](const Inputs& x) { return batch_norm(x[0], {}, {}, {}, {}, true); }},
    {.variant = "eval_affine",
     .make_inputs = [](Generator& g) {
       return Inputs{randn64({3, 5, 3}, g), uniform64({5}, 0.5, 1.5, g), randn64({5}, g),
                     randn64({5}, g, false), uniform64({5}, 0.5, 2.0, g, false)};
     },
     .run = [](const Inputs& x) { return batch_norm(x[0], x[1], x[2], x[3], x[4], false); }}});

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum, double eps) {
  NF_CHECK(weight.defined() == bias.defined(),
           "batch_norm: weight and bias must be given together (affine) or both omitted");
  auto r = raw::batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps);
  return record(kBatchNorm, {x, weight, bias}, r.out, {x, weight, r.save_mean, r.save_invstd},
                [training](const BackwardContext& c) {
                  auto g = raw::batch_norm_backward(c.grad_output(), c.saved(0),
                                                    c.saved(1), c.saved(2), c.saved(3), training);
                  return Grads{keep_if(c.needs_input_grad(0), g.grad_x),
                               keep_if(c.needs_input_grad(1), g.grad_weight),
                               keep_if(c.needs_input_grad(2), g.grad_bias)};
                });
}

namespace autograd::detail {
void link_ops_batchnorm() {}
}  // namespace autograd::detail

}  // namespace nf
