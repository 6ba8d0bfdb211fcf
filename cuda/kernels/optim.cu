// Fused SGD / Adam updates (see optim.h): one thread per element in a
// grid-stride loop, the same operation order as tensor/cpu/optim.cpp.
// nvcc may contract a*b+c into an FMA here, so results can differ from the
// CPU in the last bit (the parity test allows for it).
#include <cmath>

#include "cuda/check.h"
#include "cuda/kernels/launch.cuh"
#include "cuda/kernels/optim.h"

namespace nf::cuda {

namespace {

__device__ __forceinline__ float sqrt_t(float v) { return sqrtf(v); }
__device__ __forceinline__ double sqrt_t(double v) { return sqrt(v); }

// Scalars already rounded to T (wd, momentum, -lr).
template <typename T>
__global__ void sgd_kernel(int64_t n, T* p, const T* g, T* buf, T wd, bool use_wd, T mom,
                           bool use_mom, bool nesterov, T neg_lr) {
  NF_GRID_STRIDE_LOOP(i, n) {
    T d = g[i];
    if (use_wd) d = d + p[i] * wd;
    if (use_mom) {
      const T b = buf[i] * mom + d;
      buf[i] = b;
      d = nesterov ? d + b * mom : b;
    }
    p[i] = p[i] + d * neg_lr;
  }
}

template <typename T>
__global__ void adam_kernel(int64_t n, T* p, const T* grad, T* m, T* v, T decay, T wd, bool decoupled,
                            bool use_wd, T b1, T omb1, T b2, T omb2, T inv_sqrt_bias2, T eps,
                            T neg_step) {
  NF_GRID_STRIDE_LOOP(i, n) {
    T pi = p[i];
    T g = grad[i];
    if (use_wd) {
      if (decoupled) pi = pi * decay;
      else g = g + pi * wd;
    }
    const T mi = m[i] * b1 + g * omb1;
    const T vi = v[i] * b2 + (g * g) * omb2;
    m[i] = mi;
    v[i] = vi;
    const T denom = sqrt_t(vi) * inv_sqrt_bias2 + eps;
    p[i] = pi + (mi / denom) * neg_step;
  }
}

}  // namespace

void sgd_step(int64_t n, DType dt, void* param, const void* grad, void* buf, double lr,
              double momentum, double weight_decay, bool nesterov, const Launch& l) {
  if (n == 0) return;
  dispatch_floating(dt, "cuda sgd_step", [&](auto tag) {
    using T = decltype(tag);
    sgd_kernel<T><<<grid_for(n, l), kThreads, 0, l.stream>>>(
        n, static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T*>(buf),
        static_cast<T>(weight_decay), weight_decay != 0, static_cast<T>(momentum), momentum != 0,
        nesterov, static_cast<T>(-lr));
    NF_CUDA_CHECK_LAUNCH();
  });
}

void adam_step(int64_t n, DType dt, void* param, const void* grad, void* exp_avg, void* exp_avg_sq,
               double lr, double beta1, double beta2, double eps, double weight_decay,
               bool decoupled, int64_t step, const Launch& l) {
  if (n == 0) return;
  const double t = double(step);
  const double bias1 = 1.0 - std::pow(beta1, t), bias2 = 1.0 - std::pow(beta2, t);
  dispatch_floating(dt, "cuda adam_step", [&](auto tag) {
    using T = decltype(tag);
    adam_kernel<T><<<grid_for(n, l), kThreads, 0, l.stream>>>(
        n, static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T*>(exp_avg),
        static_cast<T*>(exp_avg_sq), static_cast<T>(1.0 - lr * weight_decay),
        static_cast<T>(weight_decay), decoupled, weight_decay != 0, static_cast<T>(beta1),
        static_cast<T>(1.0 - beta1), static_cast<T>(beta2), static_cast<T>(1.0 - beta2),
        static_cast<T>(1.0 / std::sqrt(bias2)), static_cast<T>(eps), static_cast<T>(-lr / bias1));
    NF_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nf::cuda
