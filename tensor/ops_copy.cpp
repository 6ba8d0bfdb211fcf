// Copies, conversions, concatenation and in-place writes.
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/ops_util.h"

namespace nf::raw {

Tensor contiguous(const Tensor& x) {
  detail::check_defined(x, "contiguous", "input");
  return x.is_contiguous() ? x : clone(x);
}

Tensor clone(const Tensor& x) {
  Tensor out = empty_like(x);
  backend_for(x.device()).copy(x, out);
  return out;
}

Tensor cast(const Tensor& x, DType dtype) {
  detail::check_defined(x, "cast", "input");
  if (x.dtype() == dtype) return x;
  Tensor out = Tensor::empty(x.shape(), {dtype, x.device()});
  backend_for(x.device()).copy(x, out);
  return out;
}

Tensor to_device(const Tensor& x, Device device) {
  detail::check_defined(x, "to_device", "input");
  if (x.device() == device) return x;
  Tensor src = contiguous(x);
  Tensor out = Tensor::empty(x.shape(), {x.dtype(), device});
  size_t nbytes = size_t(x.numel()) * dtype_size(x.dtype());
  if (src.device().is_cpu()) {
    backend_for(device).copy_from_host(out.raw_data(), src.raw_data(), nbytes);
  } else if (device.is_cpu()) {
    backend_for(src.device()).copy_to_host(out.raw_data(), src.raw_data(), nbytes);
  } else {  // between two accelerators: stage through the host
    Tensor host = to_device(src, Device::cpu());
    backend_for(device).copy_from_host(out.raw_data(), host.raw_data(), nbytes);
  }
  return out;
}

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  NF_CHECK(!xs.empty(), "cat: expected at least one tensor");
  const Tensor& first = xs[0];
  detail::check_defined(first, "cat", "an input");
  int64_t d = normalize_dim(dim, first.dim(), "cat");
  Shape shape = first.shape();
  shape[d] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    detail::check_defined(t, "cat", "an input");
    detail::check_same_dtype("cat", first, t);
    NF_CHECK(t.device() == first.device(), "cat: tensors on different devices ",
             first.device().str(), " and ", t.device().str());
    bool same_rank = t.dim() == first.dim();
    for (int64_t k = 0; same_rank && k < t.dim(); ++k)
      same_rank = k == d || t.size(k) == first.size(k);
    NF_CHECK(same_rank, "cat: tensor ", i, " has shape ", shape_str(t.shape()),
             ", incompatible with ", shape_str(first.shape()), " along dim ", d);
    shape[d] += t.size(d);
  }
  Tensor out = Tensor::empty(shape, {first.dtype(), first.device()});
  Backend& be = backend_for(first.device());
  int64_t at = 0;
  for (const Tensor& t : xs) {
    Tensor part = narrow(out, d, at, t.size(d));
    be.copy(t, part);
    at += t.size(d);
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  NF_CHECK(!xs.empty(), "stack: expected at least one tensor");
  int64_t d = normalize_dim(dim, xs[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  parts.reserve(xs.size());
  for (size_t i = 0; i < xs.size(); ++i) {
    NF_CHECK(xs[i].shape() == xs[0].shape(), "stack: tensor ", i, " has shape ",
             shape_str(xs[i].shape()), ", expected ", shape_str(xs[0].shape()));
    parts.push_back(unsqueeze(xs[i], d));
  }
  return cat(parts, d);
}

void fill_(const Tensor& x, double value) {
  detail::check_defined(x, "fill_", "input");
  Tensor t = x;
  backend_for(x.device()).fill(t, value);
  x.bump_version();
}

void copy_(const Tensor& dst, const Tensor& src) {
  Backend& be = detail::common_backend("copy_", {&dst, &src});
  Tensor d = dst;
  be.copy(expand(src, dst.shape()), d);
  dst.bump_version();
}

void add_(const Tensor& dst, const Tensor& src, double alpha) {
  Backend& be = detail::common_backend("add_", {&dst, &src});
  detail::check_same_dtype("add_", dst, src);
  Tensor s = expand(src, dst.shape());
  if (alpha != 1.0) s = unary(UnaryOp::mul_scalar, s, alpha);
  Tensor d = dst;
  be.binary(BinaryOp::add, dst, s, d);
  dst.bump_version();
}

void mul_(const Tensor& dst, double factor) {
  detail::check_defined(dst, "mul_", "input");
  Tensor d = dst;
  backend_for(dst.device()).unary(UnaryOp::mul_scalar, dst, d, factor);
  dst.bump_version();
}

}  // namespace nf::raw
