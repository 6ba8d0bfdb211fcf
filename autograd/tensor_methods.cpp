// The Tensor member functions marked [autograd] in tensor/tensor.h.
#include "autograd/engine.h"
#include "autograd/functions.h"
#include "autograd/meta.h"
#include "autograd/node.h"

namespace nf {

bool Tensor::requires_grad() const {
  const auto& meta = impl().autograd;
  return meta && (meta->requires_grad || meta->grad_fn);
}

Tensor& Tensor::requires_grad_(bool on) {
  auto& meta = impl().autograd;
  if (meta && meta->grad_fn) {
    NF_FAIL("requires_grad_: only leaf tensors can change requires_grad; this one is the result of ",
            meta->grad_fn->name(), " (use detach() to get a leaf)");
  }
  NF_CHECK(!on || is_floating(dtype()), "requires_grad_: only floating tensors can require grad, got ",
           dtype_name(dtype()));
  if (!meta) {
    if (!on) return *this;
    meta = std::make_shared<autograd::AutogradMeta>();
  }
  meta->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const {
  const auto& meta = impl().autograd;
  return meta ? meta->grad : Tensor{};
}

void Tensor::zero_grad_() const {
  if (const auto& meta = impl().autograd) meta->grad = Tensor{};
}

bool Tensor::is_leaf() const {
  const auto& meta = impl().autograd;
  return !meta || !meta->grad_fn;
}

Tensor Tensor::detach() const {
  const TensorImpl& i = impl();
  return Tensor(i.storage, i.shape, i.strides, i.offset, i.dtype);
}

void Tensor::backward(const Tensor& grad_output, bool retain_graph) const {
  autograd::backward({*this}, grad_output.defined() ? std::vector<Tensor>{grad_output} : std::vector<Tensor>{},
                     retain_graph);
}

Tensor Tensor::view(const Shape& shape) const { return nf::view(*this, shape); }
Tensor Tensor::reshape(const Shape& shape) const { return nf::reshape(*this, shape); }
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const {
  return nf::flatten(*this, start_dim, end_dim);
}
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return nf::transpose(*this, d0, d1); }
Tensor Tensor::permute(const std::vector<int64_t>& dims) const { return nf::permute(*this, dims); }
Tensor Tensor::slice(int64_t dim, int64_t start, int64_t end, int64_t step) const {
  return nf::slice(*this, dim, start, end, step);
}
Tensor Tensor::narrow(int64_t dim, int64_t start, int64_t length) const {
  return nf::narrow(*this, dim, start, length);
}
Tensor Tensor::expand(const Shape& shape) const { return nf::expand(*this, shape); }
Tensor Tensor::squeeze(int64_t dim) const { return nf::squeeze(*this, dim); }
Tensor Tensor::unsqueeze(int64_t dim) const { return nf::unsqueeze(*this, dim); }
Tensor Tensor::contiguous() const { return nf::contiguous(*this); }
Tensor Tensor::to(DType dtype) const { return nf::to(*this, dtype); }
Tensor Tensor::to(Device device) const { return nf::to(*this, device); }
Tensor Tensor::sum(const std::vector<int64_t>& dims, bool keepdim) const {
  return nf::sum(*this, dims, keepdim);
}
Tensor Tensor::mean(const std::vector<int64_t>& dims, bool keepdim) const {
  return nf::mean(*this, dims, keepdim);
}

}  // namespace nf
