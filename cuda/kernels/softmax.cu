// Softmax / log-softmax over rows and the NLL loss (see softmax.h). One warp
// per row (8 rows per block of 256): rows are class scores, usually short,
// and a warp reduces them with shuffles alone. The NLL forward is one block
// summing the picked log-probabilities.
#include <cmath>

#include "cuda/check.h"
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/launch.cuh"
#include "cuda/kernels/softmax.h"

namespace nf::cuda {

namespace {

constexpr int kWarpsPerBlock = kThreads / 32;

__device__ __forceinline__ float exp_t(float v) { return expf(v); }
__device__ __forceinline__ double exp_t(double v) { return exp(v); }

template <typename T>
__global__ void softmax_kernel(int64_t R, int64_t C, const T* x, bool log, T* y) {
  const int lane = threadIdx.x % 32;
  const int64_t first = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  for (int64_t r = first; r < R; r += int64_t(gridDim.x) * kWarpsPerBlock) {
    const T* xr = x + r * C;
    T* yr = y + r * C;
    // Row max first (exp(x - max) <= 1: no overflow).
    T m = -INFINITY;
    for (int64_t j = lane; j < C; j += 32) m = xr[j] > m ? xr[j] : m;
    m = warp_max(m);
    double sum = 0.0;
    if (log) {
      for (int64_t j = lane; j < C; j += 32) sum += static_cast<double>(exp_t(xr[j] - m));
      sum = warp_sum(sum);
      // (x - m) - log(sum), not x - (m + log(sum)): see the CPU kernel.
      const T log_sum = static_cast<T>(::log(sum));
      for (int64_t j = lane; j < C; j += 32) yr[j] = (xr[j] - m) - log_sum;
    } else {
      for (int64_t j = lane; j < C; j += 32) {
        const T e = exp_t(xr[j] - m);
        yr[j] = e;
        sum += static_cast<double>(e);
      }
      sum = warp_sum(sum);
      const T inv = static_cast<T>(1.0 / sum);
      for (int64_t j = lane; j < C; j += 32) yr[j] *= inv;  // this lane wrote yr[j] itself
    }
  }
}

template <typename T>
__global__ void softmax_backward_kernel(int64_t R, int64_t C, const T* g, const T* y, bool log,
                                        T* gx) {
  const int lane = threadIdx.x % 32;
  const int64_t first = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32;
  for (int64_t r = first; r < R; r += int64_t(gridDim.x) * kWarpsPerBlock) {
    const T* gr = g + r * C;
    const T* yr = y + r * C;
    T* out = gx + r * C;
    double acc = 0.0;
    if (log) {
      for (int64_t j = lane; j < C; j += 32) acc += static_cast<double>(gr[j]);
      const T s = static_cast<T>(warp_sum(acc));
      for (int64_t j = lane; j < C; j += 32) out[j] = gr[j] - exp_t(yr[j]) * s;
    } else {
      for (int64_t j = lane; j < C; j += 32) acc += static_cast<double>(gr[j]) * static_cast<double>(yr[j]);
      const T d = static_cast<T>(warp_sum(acc));
      for (int64_t j = lane; j < C; j += 32) out[j] = yr[j] * (gr[j] - d);
    }
  }
}

template <typename T>
__global__ void nll_forward_kernel(int64_t N, int64_t C, const T* logp, const int64_t* target,
                                   int64_t ignore_index, int64_t count, T* out) {
  __shared__ double scratch[32];
  double sum = 0.0;
  for (int64_t i = threadIdx.x; i < N; i += blockDim.x)
    if (target[i] != ignore_index) sum += static_cast<double>(logp[i * C + target[i]]);
  sum = block_sum(sum, scratch);
  if (threadIdx.x == 0)
    out[0] = count > 0 ? static_cast<T>(-sum / static_cast<double>(count)) : static_cast<T>(NAN);
}

template <typename T>
__global__ void nll_backward_kernel(int64_t N, int64_t C, const T* grad_out, const int64_t* target,
                                    int64_t ignore_index, int64_t count, T* grad_logp) {
  const T v = static_cast<T>(-static_cast<double>(grad_out[0]) / static_cast<double>(count));
  NF_GRID_STRIDE_LOOP(i, N)
    if (target[i] != ignore_index) grad_logp[i * C + target[i]] = v;
}

int row_blocks(int64_t R, const Launch& l) {
  const int64_t blocks = (R + kWarpsPerBlock - 1) / kWarpsPerBlock;
  return int(std::max<int64_t>(1, std::min<int64_t>(blocks, l.max_blocks)));
}

}  // namespace

void softmax_rows(int64_t R, int64_t C, DType dt, const void* x, bool log, void* out,
                  const Launch& l) {
  if (R == 0 || C == 0) return;
  dispatch_floating(dt, "cuda softmax", [&](auto tag) {
    using T = decltype(tag);
    softmax_kernel<T><<<row_blocks(R, l), kThreads, 0, l.stream>>>(R, C, static_cast<const T*>(x),
                                                                    log, static_cast<T*>(out));
    NF_CUDA_CHECK_LAUNCH();
  });
}

void softmax_backward_rows(int64_t R, int64_t C, DType dt, const void* grad_out, const void* y,
                           bool log, void* grad_x, const Launch& l) {
  if (R == 0 || C == 0) return;
  dispatch_floating(dt, "cuda softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    softmax_backward_kernel<T><<<row_blocks(R, l), kThreads, 0, l.stream>>>(
        R, C, static_cast<const T*>(grad_out), static_cast<const T*>(y), log,
        static_cast<T*>(grad_x));
    NF_CUDA_CHECK_LAUNCH();
  });
}

void nll_loss_forward(int64_t N, int64_t C, DType dt, const void* logp, const int64_t* target,
                      int64_t ignore_index, int64_t count, void* out, const Launch& l) {
  dispatch_floating(dt, "cuda nll_loss", [&](auto tag) {
    using T = decltype(tag);
    nll_forward_kernel<T><<<1, kThreads, 0, l.stream>>>(N, C, static_cast<const T*>(logp), target,
                                                         ignore_index, count, static_cast<T*>(out));
    NF_CUDA_CHECK_LAUNCH();
  });
}

void nll_loss_backward(int64_t N, int64_t C, DType dt, const void* grad_out, const int64_t* target,
                       int64_t ignore_index, int64_t count, void* grad_logp, const Launch& l) {
  dispatch_floating(dt, "cuda nll_loss_backward", [&](auto tag) {
    using T = decltype(tag);
    if (N * C > 0)
      NF_CUDA_CHECK(cudaMemsetAsync(grad_logp, 0, size_t(N * C) * sizeof(T), l.stream));
    if (count == 0 || N == 0) return;  // every row ignored: no gradient flows
    nll_backward_kernel<T><<<grid_for(N, l), kThreads, 0, l.stream>>>(
        N, C, static_cast<const T*>(grad_out), target, ignore_index, count,
        static_cast<T*>(grad_logp));
    NF_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nf::cuda
