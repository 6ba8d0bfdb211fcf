// gradcheck: compares the analytic Jacobian (one backward pass per output
// element, through autograd::grad) with central finite differences
//   (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)
// in f64, for every input that requires grad. Inputs must be small contiguous
// f64 CPU tensors; `fn` may return any floating shape.
//
// Kinks: ops like relu, abs, max and max_pool are not differentiable
// everywhere, and a finite difference across a kink is meaningless. The check
// therefore also looks at the second difference f(x+eps) + f(x-eps) - 2 f(x):
// it is O(eps^2) where f is smooth but O(eps) when a kink lies within eps, so
// a value above kink_tol * eps fails the check with "near a kink" — the case's
// inputs must be constructed away from kinks.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace nf::autograd {

struct GradcheckOptions {
  double eps = 1e-6;       // finite-difference step
  double atol = 1e-6;      // an entry passes when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-5;
  bool check_kinks = true;
  double kink_tol = 1e-2;  // second differences above kink_tol * eps signal a kink
};

struct GradcheckReport {
  bool ok = true;
  std::string message;  // empty when ok, else what failed and where
  // The worst Jacobian entry, measured as |analytic - numeric| / (atol + rtol * |numeric|)
  // (the check fails when this ratio exceeds 1).
  double worst_ratio = 0;
  double worst_abs_error = 0;
  int64_t worst_input = -1;         // index into the inputs
  int64_t worst_input_elem = -1;    // flat (row-major) element of that input
  int64_t worst_output_elem = -1;   // flat element of the output
  double worst_analytic = 0, worst_numeric = 0;
  int64_t backward_passes = 0;
};

GradcheckReport gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace nf::autograd
