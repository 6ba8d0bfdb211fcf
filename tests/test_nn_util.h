// Helpers shared by the tests/test_nn_*.cpp files.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::nn_test {

// The message of the nf::Error that fn throws ("<no error>" if none).
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no error>";
}

// Overwrites t's values (e.g. a parameter) without recording a graph.
inline void set_values(const Tensor& t, const std::vector<double>& v) {
  autograd::NoGradGuard no_grad;
  raw::copy_(t, raw::cast(from_vector(v, t.shape()), t.dtype()));
}

inline void expect_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-5) {
  std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
}

inline Tensor f64(const std::vector<double>& v, const Shape& s) { return from_vector(v, s); }
inline Tensor f32(const std::vector<float>& v, const Shape& s) { return from_vector(v, s); }

}  // namespace nf::nn_test

#include "autograd/gradcheck.h"
#include "nn/module.h"

namespace nf::nn_test {

// gradcheck of module->forward(x) w.r.t. x and every parameter, in f64.
inline autograd::GradcheckReport gradcheck_module(nn::Module& m, const Tensor& x,
                                                  const autograd::GradcheckOptions& opts = {}) {
  m.to(DType::f64);
  std::vector<Tensor> inputs{raw::clone(raw::cast(x, DType::f64))};
  inputs[0].requires_grad_(true);
  for (const Tensor& p : m.parameters()) inputs.push_back(p);
  return autograd::gradcheck([&](const std::vector<Tensor>& in) { return m.forward(in[0]); }, inputs, opts);
}

}  // namespace nf::nn_test
