#include "autograd/case_inputs.h"

#include <utility>

#include "tensor/factory.h"

namespace nf::autograd::cases {

namespace {
Tensor leaf(Tensor t, bool requires_grad) {
  if (requires_grad) t.requires_grad_(true);
  return t;
}
}  // namespace

Tensor randn64(const Shape& shape, Generator& g, bool requires_grad) {
  return leaf(randn(shape, {DType::f64}, &g), requires_grad);
}

Tensor uniform64(const Shape& shape, double lo, double hi, Generator& g, bool requires_grad) {
  return leaf(uniform(shape, lo, hi, {DType::f64}, &g), requires_grad);
}

Tensor away_from_zero64(const Shape& shape, Generator& g, double lo, double hi) {
  std::vector<double> v(shape_numel(shape));
  for (double& x : v) {
    double mag = lo + (hi - lo) * g.uniform();
    x = g.uniform() < 0.5 ? -mag : mag;
  }
  return leaf(from_vector(v, shape), true);
}

Tensor distinct64(const Shape& shape, Generator& g) {
  int64_t n = shape_numel(shape);
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = -1.0 + 0.1 * i + 0.05 * g.uniform();  // gaps >= 0.05
  for (int64_t i = n - 1; i > 0; --i) std::swap(v[i], v[g.randint(i + 1)]);   // Fisher-Yates
  return leaf(from_vector(v, shape), true);
}

Tensor index64(const std::vector<int64_t>& values, const Shape& shape) {
  return from_vector(values, shape);
}

}  // namespace nf::autograd::cases
