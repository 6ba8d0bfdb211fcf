#include "tensor/tensor.h"

#include <cmath>
#include <iomanip>
#include <sstream>

#include "tensor/backend.h"
#include "tensor/ops.h"

namespace nf {

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Strides strides, int64_t offset,
               DType dtype)
    : impl_(std::make_shared<TensorImpl>()) {
  NF_ASSERT(shape.size() == strides.size());
  impl_->storage = std::move(storage);
  impl_->shape = std::move(shape);
  impl_->strides = std::move(strides);
  impl_->offset = offset;
  impl_->dtype = dtype;
}

Tensor Tensor::empty(const Shape& shape, TensorOptions opts) {
  for (int64_t d : shape) NF_CHECK(d >= 0, "empty: negative dimension in shape ", shape_str(shape));
  size_t nbytes = size_t(shape_numel(shape)) * dtype_size(opts.dtype);
  auto storage = std::make_shared<Storage>(nbytes, opts.device);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, opts.dtype);
}

int64_t Tensor::size(int64_t d) const { return shape()[normalize_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[normalize_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape()[i] == 1) continue;  // the stride of a size-1 dim never matters
    if (strides()[i] != expected) return false;
    expected *= shape()[i];
  }
  return true;
}

bool Tensor::same_data(const Tensor& o) const {
  return storage() == o.storage() && offset() == o.offset();
}

void* Tensor::raw_data() const {
  auto* base = static_cast<char*>(storage()->data());
  return base ? base + offset() * int64_t(dtype_size(dtype())) : nullptr;
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  Tensor host = raw::contiguous(raw::cast(raw::to_device(*this, Device::cpu()), dtype_of<T>()));
  const T* p = host.data<T>();
  return std::vector<T>(p, p + host.numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<uint8_t> Tensor::to_vector<uint8_t>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;

double Tensor::item() const {
  NF_CHECK(numel() == 1, "item: expected a tensor with one element, got shape ", shape_str(shape()));
  return to_vector<double>()[0];
}

double Tensor::at(const std::vector<int64_t>& index) const {
  NF_CHECK(int64_t(index.size()) == dim(), "at: ", index.size(), " indices for a tensor of shape ",
           shape_str(shape()));
  Tensor t = *this;
  for (int64_t i = int64_t(index.size()) - 1; i >= 0; --i) t = raw::select(t, i, index[i]);
  return t.item();
}

namespace {
void print_values(std::ostream& os, const std::vector<double>& v, const Shape& shape, size_t d,
                  int64_t& pos, bool integral) {
  if (shape.empty()) {
    os << v[0];
    return;
  }
  os << "[";
  int64_t n = shape[d];
  constexpr int64_t kEdge = 3;  // shown at each end of a long dim
  for (int64_t i = 0; i < n; ++i) {
    if (i) os << (d + 1 == shape.size() ? ", " : ",\n ");
    bool skip = n > 2 * kEdge + 1 && i == kEdge;
    int64_t inner = shape_numel(Shape(shape.begin() + d + 1, shape.end()));
    if (skip) {
      os << "...";
      pos += inner * (n - 2 * kEdge);
      i = n - kEdge - 1;
      continue;
    }
    if (d + 1 == shape.size()) {
      double x = v[pos++];
      if (integral) os << int64_t(x); else os << x;
    } else {
      print_values(os, v, shape, d + 1, pos, integral);
    }
  }
  os << "]";
}
}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::ostringstream os;
  os << std::setprecision(5) << "tensor(";
  std::vector<double> v = to_vector<double>();
  int64_t pos = 0;
  print_values(os, v, shape(), 0, pos, !is_floating(dtype()));
  os << ", shape=" << shape_str(shape()) << ", dtype=" << dtype_name(dtype());
  if (!device().is_cpu()) os << ", device=" << device().str();
  os << ")";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace nf
