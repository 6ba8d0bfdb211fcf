#include "tensor/factory.h"

#include <cmath>

#include "tensor/backend.h"
#include "tensor/ops.h"

namespace nf {

Tensor empty(const Shape& shape, TensorOptions opts) { return Tensor::empty(shape, opts); }

Tensor full(const Shape& shape, double value, TensorOptions opts) {
  Tensor t = Tensor::empty(shape, opts);
  backend_for(opts.device).fill(t, value);
  return t;
}
Tensor zeros(const Shape& shape, TensorOptions opts) { return full(shape, 0.0, opts); }
Tensor ones(const Shape& shape, TensorOptions opts) { return full(shape, 1.0, opts); }
Tensor scalar_tensor(double value, TensorOptions opts) { return full({}, value, opts); }

static TensorOptions options_of(const Tensor& x) { return {x.dtype(), x.device()}; }
Tensor empty_like(const Tensor& x) { return Tensor::empty(x.shape(), options_of(x)); }
Tensor zeros_like(const Tensor& x) { return zeros(x.shape(), options_of(x)); }
Tensor ones_like(const Tensor& x) { return ones(x.shape(), options_of(x)); }
Tensor full_like(const Tensor& x, double value) { return full(x.shape(), value, options_of(x)); }

Tensor arange(double start, double end, double step, TensorOptions opts) {
  NF_CHECK(step != 0, "arange: step must be nonzero");
  int64_t n = std::max<int64_t>(0, int64_t(std::ceil((end - start) / step)));
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + double(i) * step;
  return raw::to_device(raw::cast(from_vector(v, {n}), opts.dtype), opts.device);
}
Tensor arange(int64_t end, TensorOptions opts) { return arange(0.0, double(end), 1.0, opts); }

namespace {
Tensor random_tensor(RandomKind kind, const Shape& shape, double a, double b, TensorOptions opts,
                     Generator* gen, const char* op) {
  NF_CHECK(is_floating(opts.dtype), op, ": expected a floating dtype, got ", dtype_name(opts.dtype));
  Generator& g = gen ? *gen : default_generator();
  Tensor t = Tensor::empty(shape, opts);
  uint64_t offset = g.advance(uint64_t(t.numel()));
  backend_for(opts.device).random(kind, t, g.seed(), offset, a, b);
  return t;
}
}  // namespace

Tensor rand(const Shape& shape, TensorOptions opts, Generator* gen) {
  return random_tensor(RandomKind::uniform, shape, 0.0, 1.0, opts, gen, "rand");
}
Tensor randn(const Shape& shape, TensorOptions opts, Generator* gen) {
  return random_tensor(RandomKind::normal, shape, 0.0, 1.0, opts, gen, "randn");
}
Tensor uniform(const Shape& shape, double lo, double hi, TensorOptions opts, Generator* gen) {
  NF_CHECK(lo <= hi, "uniform: lower bound ", lo, " exceeds upper bound ", hi);
  return random_tensor(RandomKind::uniform, shape, lo, hi, opts, gen, "uniform");
}
Tensor normal(const Shape& shape, double mean, double std, TensorOptions opts, Generator* gen) {
  NF_CHECK(std >= 0, "normal: std must be non-negative, got ", std);
  return random_tensor(RandomKind::normal, shape, mean, std, opts, gen, "normal");
}
Tensor bernoulli(const Shape& shape, double p, TensorOptions opts, Generator* gen) {
  NF_CHECK(p >= 0 && p <= 1, "bernoulli: probability must be in [0, 1], got ", p);
  return random_tensor(RandomKind::bernoulli, shape, p, 0.0, opts, gen, "bernoulli");
}

Tensor randint(int64_t n, const Shape& shape, Device device, Generator* gen) {
  NF_CHECK(n > 0, "randint: upper bound must be positive, got ", n);
  // floor(u * n) in f64 is exact enough for n < 2^52.
  Tensor u = rand(shape, {DType::f64, device}, gen);
  Tensor scaled = raw::unary(UnaryOp::mul_scalar, u, double(n));
  return raw::cast(raw::unary(UnaryOp::clamp_max, scaled, double(n) - 0.5), DType::i64);
}

template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  NF_CHECK(int64_t(values.size()) == shape_numel(shape), "from_vector: ", values.size(),
           " values for shape ", shape_str(shape));
  Tensor host = Tensor::empty(shape, {dtype_of<T>(), Device::cpu()});
  T* p = host.numel() ? host.data<T>() : nullptr;
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return raw::to_device(host, device);
}
template Tensor from_vector<float>(const std::vector<float>&, const Shape&, Device);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&, Device);
template Tensor from_vector<int64_t>(const std::vector<int64_t>&, const Shape&, Device);
template Tensor from_vector<uint8_t>(const std::vector<uint8_t>&, const Shape&, Device);
template Tensor from_vector<bool>(const std::vector<bool>&, const Shape&, Device);

Tensor tensor(std::initializer_list<float> values) {
  return from_vector(std::vector<float>(values), {int64_t(values.size())});
}

}  // namespace nf
