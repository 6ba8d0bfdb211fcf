// Fused optimizer updates on the CPU: one parallel pass over contiguous
// param/grad/state tensors (formulas in tensor/backend.h). Scalars are rounded
// to T once and every step is its own T operation in the order of the
// reference op sequence (nn/optim/sgd.cpp, adam.cpp). FP contraction is
// turned off for this file (GCC contracts a*b+c into an FMA by default in
// C++), so the result is bit-identical to that sequence.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#include <cmath>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/arg_checks.h"
#include "tensor/cpu/parallel.h"

namespace nf::cpu {
namespace {

template <typename T>
void sgd_loop(int64_t n, T* p, const T* g, T* buf, double lr, double momentum, double weight_decay,
              bool nesterov) {
  const T wd = static_cast<T>(weight_decay), mom = static_cast<T>(momentum);
  const T neg_lr = static_cast<T>(-lr);
  const bool use_wd = weight_decay != 0, use_mom = momentum != 0;
  parallel_for(0, n, kElementwiseGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      T d = g[i];
      if (use_wd) {
        const T decay = p[i] * wd;
        d = d + decay;
      }
      if (use_mom) {
        const T scaled = buf[i] * mom;
        const T b = scaled + d;
        buf[i] = b;
        if (nesterov) {
          const T look = b * mom;
          d = d + look;
        } else {
          d = b;
        }
      }
      const T delta = d * neg_lr;
      p[i] = p[i] + delta;
    }
  });
}

template <typename T>
void adam_loop(int64_t n, T* p, const T* grad, T* m, T* v, double lr, double beta1, double beta2,
               double eps_d, double weight_decay, bool decoupled, int64_t step) {
  const double t = double(step);
  const double bias1 = 1.0 - std::pow(beta1, t), bias2 = 1.0 - std::pow(beta2, t);
  const T decay = static_cast<T>(1.0 - lr * weight_decay), wd = static_cast<T>(weight_decay);
  const T b1 = static_cast<T>(beta1), omb1 = static_cast<T>(1.0 - beta1);
  const T b2 = static_cast<T>(beta2), omb2 = static_cast<T>(1.0 - beta2);
  const T inv_sqrt_bias2 = static_cast<T>(1.0 / std::sqrt(bias2)), eps = static_cast<T>(eps_d);
  const T neg_step = static_cast<T>(-lr / bias1);
  const bool use_wd = weight_decay != 0;
  parallel_for(0, n, kElementwiseGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      T pi = p[i];
      T g = grad[i];
      if (use_wd) {
        if (decoupled) {
          pi = pi * decay;
        } else {
          const T l2 = pi * wd;
          g = g + l2;
        }
      }
      const T m_old = m[i] * b1, m_add = g * omb1;
      const T mi = m_old + m_add;
      const T sq = g * g;
      const T v_old = v[i] * b2, v_add = sq * omb2;
      const T vi = v_old + v_add;
      m[i] = mi;
      v[i] = vi;
      const T root = std::sqrt(vi) * inv_sqrt_bias2;
      const T denom = root + eps;
      const T delta = (mi / denom) * neg_step;
      p[i] = pi + delta;
    }
  });
}

}  // namespace

void CpuBackend::sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buf, double lr,
                          double momentum, double weight_decay, bool nesterov) {
  check_param(param, "sgd_step");
  check_like(param, grad, "sgd_step", "grad");
  NF_CHECK(!nesterov || momentum != 0, "sgd_step: Nesterov momentum needs momentum != 0");
  if (momentum != 0) check_like(param, momentum_buf, "sgd_step", "momentum_buf");
  dispatch_floating(param.dtype(), "sgd_step", [&](auto tag) {
    using T = decltype(tag);
    sgd_loop<T>(param.numel(), param.data<T>(), grad.data<T>(),
                momentum != 0 ? momentum_buf.data<T>() : nullptr, lr, momentum, weight_decay,
                nesterov);
  });
}

void CpuBackend::adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                           double lr, double beta1, double beta2, double eps, double weight_decay,
                           bool decoupled, int64_t step) {
  check_param(param, "adam_step");
  check_like(param, grad, "adam_step", "grad");
  check_like(param, exp_avg, "adam_step", "exp_avg");
  check_like(param, exp_avg_sq, "adam_step", "exp_avg_sq");
  NF_CHECK(step >= 1, "adam_step: step must be >= 1 (bias correction), got ", step);
  dispatch_floating(param.dtype(), "adam_step", [&](auto tag) {
    using T = decltype(tag);
    adam_loop<T>(param.numel(), param.data<T>(), grad.data<T>(), exp_avg.data<T>(),
                 exp_avg_sq.data<T>(), lr, beta1, beta2, eps, weight_decay, decoupled, step);
  });
}

}  // namespace nf::cpu
