// 2-D pooling. max_pool2d saves the argmax indices of its forward; its
// gradient goes to those positions only.
#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

template <typename Op>
GradcheckCase pool_case(std::string variant, Shape sx, PoolParams p, Op op, bool distinct) {
  return {.variant = std::move(variant),
          .make_inputs = [=](Generator& g) { return Inputs{distinct ? distinct64(sx, g) : randn64(sx, g)}; },
          .run = [=](const Inputs& x) { return op(x[0], p); }};
}

// Max pooling gets distinct inputs: no ties, no window max within eps of a runner-up.
const OpDef& kMaxPool2d = register_op("max_pool2d", {
    pool_case("k2s2", {2, 3, 5, 5}, {}, max_pool2d, true),
    pool_case("k3s2p1", {1, 3, 7, 5}, {.kernel_h = 3, .kernel_w = 3, .pad_h = 1, .pad_w = 1},
              max_pool2d, true),
    pool_case("overlap_k3s1", {1, 2, 5, 5}, {.kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1},
              max_pool2d, true)});
const OpDef& kAvgPool2d = register_op("avg_pool2d", {
    pool_case("k2s2", {2, 3, 5, 5}, {}, avg_pool2d, false),
    pool_case("k3s1p1", {1, 3, 5, 7},
              {.kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1, .pad_h = 1, .pad_w = 1},
              avg_pool2d, false)});

}  // namespace

Tensor max_pool2d(const Tensor& x, const PoolParams& p) {
  auto [out, indices] = raw::max_pool2d(x, p);
  return record(kMaxPool2d, {x}, out, {indices}, [](const BackwardContext& c) {
    return Grads{raw::max_pool2d_backward(c.grad_output(), c.saved(0), c.input_shape(0))};
  });
}

Tensor avg_pool2d(const Tensor& x, const PoolParams& p) {
  return record(kAvgPool2d, {x}, raw::avg_pool2d(x, p), {}, [p](const BackwardContext& c) {
    return Grads{raw::avg_pool2d_backward(c.grad_output(), c.input_shape(0), p)};
  });
}

namespace autograd::detail {
void link_ops_pool() {}
}  // namespace autograd::detail

}  // namespace nf
