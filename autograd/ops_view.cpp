// Views and conversions. Views share the input's storage; their backward maps
// the gradient back to the input's shape (scattering into zeros for slices).
#include <algorithm>

#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

GradcheckCase case_357(std::string variant, std::function<Tensor(const Tensor&)> f,
                       Shape shape = {3, 5, 7}) {
  return {.variant = std::move(variant),
          .make_inputs = [shape](Generator& g) { return Inputs{randn64(shape, g)}; },
          .run = [f](const Inputs& x) { return f(x[0]); }};
}

const OpDef& kView = register_op("view", {
    case_357("swap", [](const Tensor& x) { return view(x, {5, 3}); }, {3, 5}),
    case_357("infer", [](const Tensor& x) { return view(x, {-1}); })});
const OpDef& kReshape = register_op("reshape", {
    case_357("copy", [](const Tensor& x) { return reshape(transpose(x, 0, 1), {15}); }, {3, 5}),
    case_357("flatten", [](const Tensor& x) { return flatten(x, 1); })});
const OpDef& kTranspose = register_op("transpose", {
    case_357("outer", [](const Tensor& x) { return transpose(x, 0, 2); })});
const OpDef& kPermute = register_op("permute", {
    case_357("rotate", [](const Tensor& x) { return permute(x, {2, 0, 1}); })});
const OpDef& kSlice = register_op("slice", {
    case_357("step2", [](const Tensor& x) { return slice(x, 1, 1, 6, 2); }, {5, 7}),
    case_357("narrow", [](const Tensor& x) { return narrow(x, 0, 1, 3); }, {5, 7})});
const OpDef& kExpand = register_op("expand", {
    case_357("broadcast", [](const Tensor& x) { return expand(x, {3, 3, 5}); }, {3, 1})});
const OpDef& kSqueeze = register_op("squeeze", {
    case_357("middle", [](const Tensor& x) { return squeeze(x, 1); }, {3, 1, 5})});
const OpDef& kUnsqueeze = register_op("unsqueeze", {
    case_357("last", [](const Tensor& x) { return unsqueeze(x, -1); }, {3, 5})});
const OpDef& kSelect = register_op("select", {
    case_357("middle", [](const Tensor& x) { return select(x, 1, 2); })});
const OpDef& kContiguous = register_op("contiguous", {
    case_357("transposed", [](const Tensor& x) { return contiguous(transpose(x, 0, 1)); })});
// The f32 round trip needs a larger step: rounding to f32 costs ~1e-7.
const OpDef& kCast = register_op("cast", {
    {.variant = "f64_to_f32",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return to(x[0], DType::f32); },
     .options = {.eps = 1e-3, .atol = 1e-4, .rtol = 1e-3}}});
const OpDef& kToDevice = register_op("to_device", {
    {.variant = "cuda_round_trip",
     .make_inputs = [](Generator& g) { return Inputs{randn64({3, 5}, g)}; },
     .run = [](const Inputs& x) { return to(to(x[0], Device::cuda()), Device::cpu()); },
     .needs_cuda = true}});

// The gradient of a view of x: g written into the same view of zeros(x).
template <typename ViewFn>
Tensor scatter_into_zeros(const Tensor& g, const BackwardContext& c, ViewFn view_of) {
  Tensor z = zeros(c.input_shape(0), {c.input_dtype(0), c.input_device(0)});
  raw::copy_(view_of(z), g);
  return z;
}

// Backward of every op that only rearranges x's shape, keeping element order.
Grads reshape_back(const BackwardContext& c) {
  return Grads{raw::reshape(c.grad_output(), c.input_shape(0))};
}

}  // namespace

Tensor view(const Tensor& x, const Shape& shape) {
  return record(kView, {x}, raw::view(x, shape), {}, reshape_back);
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  return record(kReshape, {x}, raw::reshape(x, shape), {}, reshape_back);
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  return reshape(x, raw::flatten(x, start_dim, end_dim).shape());
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  return record(kTranspose, {x}, raw::transpose(x, d0, d1), {}, [d0, d1](const BackwardContext& c) {
    return Grads{raw::transpose(c.grad_output(), d0, d1)};
  });
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  Tensor out = raw::permute(x, dims);
  std::vector<int64_t> inverse(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) inverse[normalize_dim(dims[i], x.dim(), "permute")] = i;
  return record(kPermute, {x}, out, {}, [inverse](const BackwardContext& c) {
    return Grads{raw::permute(c.grad_output(), inverse)};
  });
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return record(kSlice, {x}, raw::slice(x, dim, start, end, step), {},
                [=](const BackwardContext& c) {
                  return Grads{scatter_into_zeros(c.grad_output(), c, [&](const Tensor& z) {
                    return raw::slice(z, dim, start, end, step);
                  })};
                });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  int64_t d = normalize_dim(dim, x.dim(), "narrow");
  int64_t first = start < 0 ? start + x.size(d) : start;
  NF_CHECK(first >= 0 && length >= 0 && first + length <= x.size(d), "narrow: start ", start,
           " and length ", length, " do not fit dim ", dim, " of ", shape_str(x.shape()));
  return slice(x, d, first, first + length);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  return record(kExpand, {x}, raw::expand(x, shape), {}, [](const BackwardContext& c) {
    return Grads{raw::sum_to(c.grad_output(), c.input_shape(0))};
  });
}

Tensor squeeze(const Tensor& x, int64_t dim) {
  return record(kSqueeze, {x}, raw::squeeze(x, dim), {}, reshape_back);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  return record(kUnsqueeze, {x}, raw::unsqueeze(x, dim), {}, reshape_back);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  return record(kSelect, {x}, raw::select(x, dim, index), {}, [=](const BackwardContext& c) {
    return Grads{scatter_into_zeros(c.grad_output(), c,
                                    [&](const Tensor& z) { return raw::select(z, dim, index); })};
  });
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return record(kContiguous, {x}, raw::contiguous(x), {},
                [](const BackwardContext& c) { return Grads{c.grad_output()}; });
}

// Casts to a non-floating dtype carry no gradient.
Tensor to(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = raw::cast(x, dtype);
  if (!is_floating(dtype)) return out;
  return record(kCast, {x}, out, {}, [](const BackwardContext& c) {
    return Grads{raw::cast(c.grad_output(), c.input_dtype(0))};
  });
}

Tensor to(const Tensor& x, Device device) {
  if (x.device() == device) return x;
  return record(kToDevice, {x}, raw::to_device(x, device), {}, [](const BackwardContext& c) {
    return Grads{raw::to_device(c.grad_output(), c.input_device(0))};
  });
}

namespace autograd::detail {
void link_ops_view() {}
}  // namespace autograd::detail

}  // namespace nf
