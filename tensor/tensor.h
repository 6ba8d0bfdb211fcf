// Tensor: a cheap handle (shared_ptr) to TensorImpl = storage + shape + element
// strides + offset + dtype (+ autograd metadata once autograd touches it).
// Copies of a Tensor handle share everything, as in PyTorch; view ops build a
// new TensorImpl over the same Storage.
//
// Two layers of operations:
//  - nf::raw:: (tensor/ops.h): non-differentiable ops on data, used by kernels,
//    backward functions and optimizers.
//  - the differentiable ops (autograd/functions.h) and the Tensor member
//    functions below marked [autograd]: they record the graph and are defined
//    in nf_autograd, which every user-facing target links.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "tensor/device.h"
#include "tensor/dtype.h"
#include "tensor/error.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace nf {

namespace autograd {
struct AutogradMeta;  // defined in autograd/meta.h
}

struct TensorOptions {
  DType dtype = DType::f32;
  Device device = Device::cpu();
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Strides strides;  // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::f32;
  std::shared_ptr<autograd::AutogradMeta> autograd;  // null until autograd needs it
};

class Tensor {
 public:
  Tensor() = default;  // undefined
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset, DType dtype);

  // A fresh, uninitialised, contiguous tensor.
  static Tensor empty(const Shape& shape, TensorOptions opts = {});

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Strides& strides() const { return impl().strides; }
  int64_t dim() const { return static_cast<int64_t>(impl().shape.size()); }
  int64_t size(int64_t d) const;    // negative d counts from the end
  int64_t stride(int64_t d) const;
  int64_t numel() const { return shape_numel(impl().shape); }
  int64_t offset() const { return impl().offset; }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  bool is_contiguous() const;
  // True when this view and `o` start at the same element of the same storage.
  bool same_data(const Tensor& o) const;

  // Pointer to the first element (at offset). data<T>() checks T against dtype.
  void* raw_data() const;
  template <typename T>
  T* data() const {
    NF_CHECK(dtype_of<T>() == dtype(), "data: tensor has dtype ", dtype_name(dtype()),
             ", asked for ", dtype_name(dtype_of<T>()));
    return static_cast<T*>(raw_data());
  }

  // Slow element access for tests, printing and scalars (copies from device).
  double item() const;                              // requires numel() == 1
  double at(const std::vector<int64_t>& index) const;
  template <typename T>
  std::vector<T> to_vector() const;                 // row-major, cast to T

  std::string str() const;  // printable summary with values (abbreviated when large)

  // Bumps the storage's version: call after writing into it in place.
  void bump_version() const { impl().storage->bump_version(); }
  uint64_t version() const { return impl().storage->version(); }

  // --- [autograd] defined in nf_autograd ------------------------------------
  bool requires_grad() const;
  Tensor& requires_grad_(bool on = true);  // leaves only
  Tensor grad() const;                     // accumulated gradient (undefined if none)
  void zero_grad_() const;                 // drops the accumulated gradient
  bool is_leaf() const;
  Tensor detach() const;                   // same data, no history
  // Backpropagates from this tensor (a scalar unless `grad_output` is given).
  // Gradients accumulate into .grad() of leaves that require grad.
  void backward(const Tensor& grad_output = {}, bool retain_graph = false) const;

  // Differentiable views and conversions.
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor expand(const Shape& shape) const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor contiguous() const;
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;
  Tensor sum(const std::vector<int64_t>& dims = {}, bool keepdim = false) const;
  Tensor mean(const std::vector<int64_t>& dims = {}, bool keepdim = false) const;

  // Internal: the shared implementation (autograd attaches its metadata here).
  TensorImpl& impl() const {
    NF_CHECK(impl_ != nullptr, "tensor: use of an undefined tensor");
    return *impl_;
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace nf
