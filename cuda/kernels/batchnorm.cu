// Batch norm (see batchnorm.h): one block per channel. The block reduces the
// channel's N*S values in double (mean, then the sum of squared deviations:
// two passes, as on the CPU), thread 0 writes the saved and running
// statistics, then the block normalises (or differentiates) the channel.
#include <cmath>

#include "cuda/check.h"
#include "cuda/kernels/batchnorm.h"
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/launch.cuh"

namespace nf::cuda {

namespace {

constexpr int kBnThreads = 512;

// Flat index of element j (in [0, N*S)) of channel c.
__device__ __forceinline__ int64_t at(const ChannelShape& s, int64_t c, int64_t j) {
  return ((j / s.S) * s.C + c) * s.S + j % s.S;
}

template <typename T>
__global__ void __launch_bounds__(kBnThreads)
    bn_forward(ChannelShape s, const T* x, const T* w, const T* b, T* rm, T* rv, bool training,
               double momentum, double eps, T* out, T* save_mean, T* save_invstd) {
  __shared__ double scratch[32];
  const int64_t n = s.N * s.S;
  for (int64_t c = blockIdx.x; c < s.C; c += gridDim.x) {
    double mean, invstd;
    if (training) {
      double sum = 0.0;
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) sum += static_cast<double>(x[at(s, c, j)]);
      mean = block_sum(sum, scratch) / static_cast<double>(n);
      double sq = 0.0;
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
        const double d = static_cast<double>(x[at(s, c, j)]) - mean;
        sq += d * d;
      }
      const double var = block_sum(sq, scratch) / static_cast<double>(n);
      invstd = 1.0 / sqrt(var + eps);
      if (threadIdx.x == 0) {
        if (rm) rm[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(rm[c]) + momentum * mean);
        if (rv) {
          const double unbiased = var * static_cast<double>(n) / static_cast<double>(n - 1);
          rv[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(rv[c]) + momentum * unbiased);
        }
      }
    } else {
      mean = static_cast<double>(rm[c]);
      invstd = 1.0 / sqrt(static_cast<double>(rv[c]) + eps);
    }
    if (threadIdx.x == 0) {
      save_mean[c] = static_cast<T>(mean);
      save_invstd[c] = static_cast<T>(invstd);
    }
    // out = (x - mean) * (invstd * w) + b, in T as on the CPU
    const T m = static_cast<T>(mean);
    const T scale = static_cast<T>(invstd * (w ? static_cast<double>(w[c]) : 1.0));
    const T shift = b ? b[c] : T(0);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      const int64_t i = at(s, c, j);
      out[i] = (x[i] - m) * scale + shift;
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kBnThreads)
    bn_backward(ChannelShape s, const T* g, const T* x, const T* w, const T* save_mean,
                const T* save_invstd, bool training, T* gx, T* gw, T* gb) {
  __shared__ double scratch[32];
  const int64_t n = s.N * s.S;
  const double nd = static_cast<double>(n);
  for (int64_t c = blockIdx.x; c < s.C; c += gridDim.x) {
    const double mean = static_cast<double>(save_mean[c]), invstd = static_cast<double>(save_invstd[c]);
    const double wc = w ? static_cast<double>(w[c]) : 1.0;
    double sum_g = 0.0, sum_g_xhat = 0.0;
    if (gw || gb || (gx && training)) {
      double sg = 0.0, sgx = 0.0;
      for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
        const int64_t i = at(s, c, j);
        const double gi = static_cast<double>(g[i]);
        sg += gi;
        sgx += gi * (static_cast<double>(x[i]) - mean);
      }
      sum_g = block_sum(sg, scratch);
      sum_g_xhat = invstd * block_sum(sgx, scratch);
    }
    if (threadIdx.x == 0) {
      if (gw) gw[c] = static_cast<T>(sum_g_xhat);
      if (gb) gb[c] = static_cast<T>(sum_g);
    }
    if (!gx) continue;
    // Training: gx = k*(g - mean(g)) - k*invstd*mean(g*xhat)*(x - mean), k = invstd*w.
    // Eval: the statistics are constants, so gx = k*g.
    const double k = invstd * wc;
    const T a = static_cast<T>(k);
    const T g_shift = static_cast<T>(training ? sum_g / nd : 0.0);
    const T x_coef = static_cast<T>(training ? k * invstd * sum_g_xhat / nd : 0.0);
    const T m = static_cast<T>(mean);
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
      const int64_t i = at(s, c, j);
      gx[i] = a * (g[i] - g_shift) - x_coef * (x[i] - m);
    }
  }
}

int channel_blocks(const ChannelShape& s, const Launch& l) {
  return int(std::max<int64_t>(1, std::min<int64_t>(s.C, int64_t(l.max_blocks) * 4)));
}

}  // namespace

void batch_norm_forward(const ChannelShape& s, DType dt, const void* x, const void* weight,
                        const void* bias, void* running_mean, void* running_var, bool training,
                        double momentum, double eps, void* out, void* save_mean,
                        void* save_invstd, const Launch& l) {
  if (s.C == 0) return;
  dispatch_floating(dt, "cuda batch_norm_forward", [&](auto tag) {
    using T = decltype(tag);
    bn_forward<T><<<channel_blocks(s, l), kBnThreads, 0, l.stream>>>(
        s, static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<const T*>(bias),
        static_cast<T*>(running_mean), static_cast<T*>(running_var), training, momentum, eps,
        static_cast<T*>(out), static_cast<T*>(save_mean), static_cast<T*>(save_invstd));
    NF_CUDA_CHECK_LAUNCH();
  });
}

void batch_norm_backward(const ChannelShape& s, DType dt, const void* grad_out, const void* x,
                         const void* weight, const void* save_mean, const void* save_invstd,
                         bool training, void* grad_x, void* grad_weight, void* grad_bias,
                         const Launch& l) {
  if (s.C == 0) return;
  dispatch_floating(dt, "cuda batch_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    bn_backward<T><<<channel_blocks(s, l), kBnThreads, 0, l.stream>>>(
        s, static_cast<const T*>(grad_out), static_cast<const T*>(x), static_cast<const T*>(weight),
        static_cast<const T*>(save_mean), static_cast<const T*>(save_invstd), training,
        static_cast<T*>(grad_x), static_cast<T*>(grad_weight), static_cast<T*>(grad_bias));
    NF_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nf::cuda
