// Tensor factories. Random ones draw from a Generator (default: the global one).
#pragma once
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace nf {

Tensor empty(const Shape& shape, TensorOptions opts = {});
Tensor zeros(const Shape& shape, TensorOptions opts = {});
Tensor ones(const Shape& shape, TensorOptions opts = {});
Tensor full(const Shape& shape, double value, TensorOptions opts = {});
Tensor scalar_tensor(double value, TensorOptions opts = {});  // 0-d
Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);
Tensor full_like(const Tensor& x, double value);
Tensor empty_like(const Tensor& x);
// [start, end) with step; dtype defaults to i64 when not given floating opts.
Tensor arange(double start, double end, double step = 1.0, TensorOptions opts = {DType::i64});
Tensor arange(int64_t end, TensorOptions opts = {DType::i64});
Tensor rand(const Shape& shape, TensorOptions opts = {}, Generator* gen = nullptr);   // U[0,1)
Tensor randn(const Shape& shape, TensorOptions opts = {}, Generator* gen = nullptr);  // N(0,1)
Tensor uniform(const Shape& shape, double lo, double hi, TensorOptions opts = {}, Generator* gen = nullptr);
Tensor normal(const Shape& shape, double mean, double std, TensorOptions opts = {}, Generator* gen = nullptr);
Tensor bernoulli(const Shape& shape, double p, TensorOptions opts = {}, Generator* gen = nullptr);
// Uniform integers in [0, n), i64.
Tensor randint(int64_t n, const Shape& shape, Device device = Device::cpu(), Generator* gen = nullptr);

// Host data -> tensor (copied).
template <typename T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = Device::cpu());
Tensor tensor(std::initializer_list<float> values);  // 1-D f32

}  // namespace nf
