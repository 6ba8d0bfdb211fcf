// Reductions. Their backward broadcasts the output gradient back over the
// reduced dims (re-inserted as size 1 when keepdim was false).
#include <algorithm>

#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

using ReduceFn = Tensor (*)(const Tensor&, const std::vector<int64_t>&, bool);

std::vector<GradcheckCase> reduce_cases(ReduceFn op, Tensor (*make)(const Shape&, Generator&)) {
  return {
      {.variant = "all",
       .make_inputs = [=](Generator& g) { return Inputs{make({3, 5}, g)}; },
       .run = [=](const Inputs& x) { return op(x[0], {}, false); }},
      {.variant = "dim1",
       .make_inputs = [=](Generator& g) { return Inputs{make({3, 5}, g)}; },
       .run = [=](const Inputs& x) { return op(x[0], {-1}, false); }},
      {.variant = "dims02_keepdim",
       .make_inputs = [=](Generator& g) { return Inputs{make({3, 5, 7}, g)}; },
       .run = [=](const Inputs& x) { return op(x[0], {0, 2}, true); }},
  };
}

Tensor randn_input(const Shape& s, Generator& g) { return randn64(s, g); }

const OpDef& kSum = register_op("sum", reduce_cases(sum, randn_input));
const OpDef& kMean = register_op("mean", reduce_cases(mean, randn_input));
// Distinct values: no ties, and each max is 0.05 away from the runner-up (a kink).
const OpDef& kMax = register_op("max", reduce_cases(max, distinct64));

// Reduced dims, normalised and sorted; empty `dims` means all of them.
std::vector<int64_t> reduced_dims(const std::vector<int64_t>& dims, int64_t ndim, const char* op) {
  std::vector<int64_t> out;
  if (dims.empty()) {
    for (int64_t d = 0; d < ndim; ++d) out.push_back(d);
    return out;
  }
  for (int64_t d : dims) out.push_back(normalize_dim(d, ndim, op));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The shape of x reduced over `dims` with keepdim.
Shape keepdim_shape(const Shape& in, const std::vector<int64_t>& dims) {
  Shape s = in;
  for (int64_t d : dims) s[d] = 1;
  return s;
}

// The shape of x reduced over `dims` without keepdim.
Shape dropped_shape(const Shape& in, const std::vector<int64_t>& dims) {
  Shape s;
  for (int64_t d = 0; d < static_cast<int64_t>(in.size()); ++d)
    if (!std::binary_search(dims.begin(), dims.end(), d)) s.push_back(in[d]);
  return s;
}

// g (the output gradient, keepdim form or not) broadcast to the input shape.
Tensor expand_grad(const Tensor& g, const Shape& in_shape, const std::vector<int64_t>& dims) {
  return raw::expand(raw::reshape(g, keepdim_shape(in_shape, dims)), in_shape);
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  auto rd = reduced_dims(dims, x.dim(), "sum");
  return record(kSum, {x}, raw::sum(x, dims, keepdim), {}, [rd](const BackwardContext& c) {
    return Grads{expand_grad(c.grad_output(), c.input_shape(0), rd)};
  });
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  auto rd = reduced_dims(dims, x.dim(), "mean");
  int64_t count = 1;
  for (int64_t d : rd) count *= x.size(d);
  return record(kMean, {x}, raw::mean(x, dims, keepdim), {}, [rd, count](const BackwardContext& c) {
    Tensor g = raw::mul_scalar(c.grad_output(), 1.0 / static_cast<double>(count));
    return Grads{expand_grad(g, c.input_shape(0), rd)};
  });
}

// d max / dx = 1/k at each of the k positions equal to the max, 0 elsewhere.
Tensor max(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  auto rd = reduced_dims(dims, x.dim(), "max");
  Tensor m = raw::max(x, dims, /*keepdim=*/true);
  Tensor out = keepdim ? m : raw::view(m, dropped_shape(x.shape(), rd));
  return record(kMax, {x}, out, {x, m}, [rd](const BackwardContext& c) {
    Tensor x = c.saved(0), m = c.saved(1);
    Tensor is_max = raw::cast(raw::binary(BinaryOp::eq, x, m), x.dtype());
    Tensor count = raw::sum(is_max, rd, /*keepdim=*/true);
    Tensor g = raw::reshape(c.grad_output(), m.shape());
    return Grads{raw::mul(is_max, raw::div(g, count))};
  });
}

namespace autograd::detail {
void link_ops_reduce() {}
}  // namespace autograd::detail

}  // namespace nf
