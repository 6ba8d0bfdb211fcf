// Helpers shared by the CPU kernel tests (test_cpu_gemm / conv / pool): seeded
// random tensors, comparison against a reference with a tolerance relative to
// the reference's largest magnitude, and error-message checks.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "tensor/factory.h"
#include "tensor/tensor.h"

namespace nf::testing {

using FloatTypes = ::testing::Types<float, double>;

template <typename T>
Tensor random_tensor(const Shape& shape, std::mt19937_64& rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<T> v(shape_numel(shape));
  for (auto& e : v) e = static_cast<T>(dist(rng));
  return from_vector<T>(v, shape);
}

template <typename T>
Tensor empty_of(const Shape& shape) {
  return Tensor::empty(shape, {dtype_of<T>()});
}

// Row-major values of any floating tensor (any strides), as double.
inline std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// Relative tolerance for sums of products: f32 rounding grows with the sum's
// length, f64 is near exact at these sizes.
template <typename T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

// max |a - b| <= tol * max(1, max |b|): the error of a sum of products scales
// with the magnitude of the terms, which the largest result stands for.
inline void expect_close(const Tensor& a, const Tensor& b, double tol, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  const std::vector<double> va = values(a), vb = values(b);
  double scale = 1.0;
  for (double v : vb) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < va.size(); ++i)
    ASSERT_NEAR(va[i], vb[i], tol * scale) << what << " at flat index " << i;
}

inline void expect_equal(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  const std::vector<double> va = values(a), vb = values(b);
  for (size_t i = 0; i < va.size(); ++i) ASSERT_EQ(va[i], vb[i]) << what << " at flat index " << i;
}

// fn must throw nf::Error whose message contains every one of `parts`.
inline void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    FAIL() << "expected nf::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "message: " << msg;
  }
}

}  // namespace nf::testing
