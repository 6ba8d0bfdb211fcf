// Joining and indexing. The backward of a gather-like op scatters (adds) the
// gradient back, so repeated indices accumulate.
#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

const OpDef& kCat = register_op("cat", {
    {.variant = "dim1",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g), randn64({3, 3}, g)}; },
     .run = [](const Inputs& x) { return cat(x, 1); }},
    // The middle input needs no gradient.
    {.variant = "dim0_partial",
     .make_inputs = [](Generator& g) {
       return Inputs{randn64({3, 5}, g), randn64({1, 5}, g, false), randn64({5, 5}, g)};
     },
     .run = [](const Inputs& x) { return cat(x, -2); }}});
const OpDef& kStack = register_op("stack", {
    {.variant = "dim1",
     .make_inputs = [](Generator& g) {
       return Inputs{randn64({3, 5}, g), randn64({3, 5}, g), randn64({3, 5}, g)};
     },
     .run = [](const Inputs& x) { return stack(x, 1); }}});
const OpDef& kIndexSelect = register_op("index_select", {
    {.variant = "repeated",
     .make_inputs = [](Generator& g) { return Inputs{randn64({5, 3}, g), index64({4, 0, 2, 4}, {4})}; },
     .run = [](const Inputs& x) { return index_select(x[0], 0, x[1]); }},
    {.variant = "dim1",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g), index64({1, 3, 1}, {3})}; },
     .run = [](const Inputs& x) { return index_select(x[0], -1, x[1]); }}});
const OpDef& kGather = register_op("gather", {
    {.variant = "dim1",
     .make_inputs = [](Generator& g) {
       return Inputs{randn64({3, 5}, g), index64({0, 4, 4, 1, 2, 2, 3, 0, 4}, {3, 3})};
     },
     .run = [](const Inputs& x) { return gather(x[0], 1, x[1]); }}});

}  // namespace

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  Tensor out = raw::cat(xs, dim);
  int64_t d = normalize_dim(dim, out.dim(), "cat");
  return record(kCat, xs, out, {}, [d](const BackwardContext& c) {
    const Tensor& g = c.grad_output();
    Grads grads(c.num_inputs());
    int64_t start = 0;
    for (size_t i = 0; i < grads.size(); ++i) {
      int64_t len = c.input_shape(i)[d];
      if (c.needs_input_grad(i)) grads[i] = raw::narrow(g, d, start, len);
      start += len;
    }
    return grads;
  });
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  Tensor out = raw::stack(xs, dim);
  int64_t d = normalize_dim(dim, out.dim(), "stack");
  return record(kStack, xs, out, {}, [d](const BackwardContext& c) {
    Grads grads(c.num_inputs());
    for (size_t i = 0; i < grads.size(); ++i)
      if (c.needs_input_grad(i)) grads[i] = raw::select(c.grad_output(), d, static_cast<int64_t>(i));
    return grads;
  });
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  return record(kIndexSelect, {x, index}, raw::index_select(x, dim, index), {index},
                [dim](const BackwardContext& c) {
                  Tensor z = zeros(c.input_shape(0), {c.input_dtype(0), c.input_device(0)});
                  raw::index_add_(z, dim, c.saved(0), c.grad_output());
                  return Grads{z, Tensor{}};
                });
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  return record(kGather, {x, index}, raw::gather(x, dim, index), {index},
                [dim](const BackwardContext& c) {
                  Tensor z = zeros(c.input_shape(0), {c.input_dtype(0), c.input_device(0)});
                  raw::scatter_add_(z, dim, c.saved(0), c.grad_output());
                  return Grads{z, Tensor{}};
                });
}

namespace autograd::detail {
void link_ops_index() {}
}  // namespace autograd::detail

}  // namespace nf
