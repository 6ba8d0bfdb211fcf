// 2-D max / average pooling (see pool.h). One thread per output element
// (forward) or per input element (average backward, which gathers the
// outputs whose window covers it); the max backward scatters with atomicAdd,
// since only the saved indices say where each gradient goes.
#include <cmath>

#include "cuda/check.h"
#include "cuda/kernels/launch.cuh"
#include "cuda/kernels/pool.h"

namespace nf::cuda {

namespace {

// Input rows (or columns) [lo, hi) under output position o's window.
struct Window {
  int64_t lo, hi;
  __device__ int64_t size() const { return hi > lo ? hi - lo : 0; }
};
__device__ __forceinline__ Window window(int64_t o, int64_t stride, int64_t pad, int64_t kernel,
                                         int64_t in) {
  const int64_t start = o * stride - pad;
  return {start > 0 ? start : 0, start + kernel < in ? start + kernel : in};
}

template <typename T>
__global__ void max_forward(PoolShape s, const T* x, T* out, int64_t* indices) {
  const int64_t total = s.planes * s.OH * s.OW;
  NF_GRID_STRIDE_LOOP(i, total) {
    const int64_t ow = i % s.OW, oh = (i / s.OW) % s.OH, plane = i / (s.OW * s.OH);
    const Window wh = window(oh, s.sh, s.ph, s.kh, s.H), ww = window(ow, s.sw, s.pw, s.kw, s.W);
    const T* xp = x + plane * s.H * s.W;
    T best = -INFINITY;
    int64_t best_i = wh.size() * ww.size() > 0 ? wh.lo * s.W + ww.lo : -1;
    for (int64_t ih = wh.lo; ih < wh.hi; ++ih)
      for (int64_t iw = ww.lo; iw < ww.hi; ++iw) {
        const T v = xp[ih * s.W + iw];
        if (v > best || isnan(v)) {  // NaN wins, as on the CPU (and in PyTorch)
          best = v;
          best_i = ih * s.W + iw;
        }
      }
    out[i] = best;
    indices[i] = best_i;
  }
}

template <typename T>
__global__ void max_backward(PoolShape s, const T* grad_out, const int64_t* indices, T* grad_x,
                             int* bad) {
  const int64_t plane_out = s.OH * s.OW, plane_in = s.H * s.W;
  NF_GRID_STRIDE_LOOP(i, s.planes * plane_out) {
    const int64_t idx = indices[i];
    if (idx < 0 || idx >= plane_in) {
      *bad = 1;
      continue;
    }
    atomicAdd(grad_x + (i / plane_out) * plane_in + idx, grad_out[i]);
  }
}

template <typename T>
__global__ void avg_forward(PoolShape s, const T* x, T* out) {
  const int64_t total = s.planes * s.OH * s.OW;
  NF_GRID_STRIDE_LOOP(i, total) {
    const int64_t ow = i % s.OW, oh = (i / s.OW) % s.OH, plane = i / (s.OW * s.OH);
    const Window wh = window(oh, s.sh, s.ph, s.kh, s.H), ww = window(ow, s.sw, s.pw, s.kw, s.W);
    const T* xp = x + plane * s.H * s.W;
    T sum = T(0);
    for (int64_t ih = wh.lo; ih < wh.hi; ++ih)
      for (int64_t iw = ww.lo; iw < ww.hi; ++iw) sum += xp[ih * s.W + iw];
    const int64_t count = wh.size() * ww.size();
    out[i] = count > 0 ? sum / T(count) : T(0);
  }
}

// Output positions [lo, hi) along one axis whose window covers input index
// `in_i`: o*stride - pad <= in_i < o*stride - pad + kernel, o in [0, out).
__device__ __forceinline__ Window covering(int64_t in_i, int64_t stride, int64_t pad,
                                           int64_t kernel, int64_t out) {
  const int64_t t = in_i + pad;  // o*stride <= t < o*stride + kernel
  const int64_t lo_num = t - kernel + 1;
  int64_t lo = lo_num <= 0 ? 0 : (lo_num + stride - 1) / stride;
  int64_t hi = t / stride + 1;
  if (hi > out) hi = out;
  return {lo, hi};
}

template <typename T>
__global__ void avg_backward(PoolShape s, const T* grad_out, T* grad_x) {
  const int64_t total = s.planes * s.H * s.W;
  NF_GRID_STRIDE_LOOP(i, total) {
    const int64_t iw = i % s.W, ih = (i / s.W) % s.H, plane = i / (s.W * s.H);
    const Window rh = covering(ih, s.sh, s.ph, s.kh, s.OH);
    const Window rw = covering(iw, s.sw, s.pw, s.kw, s.OW);
    const T* gp = grad_out + plane * s.OH * s.OW;
    T acc = T(0);
    for (int64_t oh = rh.lo; oh < rh.hi; ++oh) {
      const int64_t ch = window(oh, s.sh, s.ph, s.kh, s.H).size();
      for (int64_t ow = rw.lo; ow < rw.hi; ++ow) {
        const int64_t count = ch * window(ow, s.sw, s.pw, s.kw, s.W).size();
        if (count > 0) acc += gp[oh * s.OW + ow] / T(count);
      }
    }
    grad_x[i] = acc;
  }
}

}  // namespace

void max_pool_forward(const PoolShape& s, DType dt, const void* x, void* out, int64_t* indices,
                      const Launch& l) {
  const int64_t total = s.planes * s.OH * s.OW;
  if (total == 0) return;
  dispatch_floating(dt, "cuda max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    max_forward<T><<<grid_for(total, l), kThreads, 0, l.stream>>>(
        s, static_cast<const T*>(x), static_cast<T*>(out), indices);
    NF_CUDA_CHECK_LAUNCH();
  });
}

void max_pool_backward(const PoolShape& s, DType dt, const void* grad_out, const int64_t* indices,
                       void* grad_x, int* bad, const Launch& l) {
  const int64_t total_in = s.planes * s.H * s.W, total_out = s.planes * s.OH * s.OW;
  dispatch_floating(dt, "cuda max_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    if (total_in > 0)
      NF_CUDA_CHECK(cudaMemsetAsync(grad_x, 0, size_t(total_in) * sizeof(T), l.stream));
    if (total_out == 0) return;
    max_backward<T><<<grid_for(total_out, l), kThreads, 0, l.stream>>>(
        s, static_cast<const T*>(grad_out), indices, static_cast<T*>(grad_x), bad);
    NF_CUDA_CHECK_LAUNCH();
  });
}

void avg_pool_forward(const PoolShape& s, DType dt, const void* x, void* out, const Launch& l) {
  const int64_t total = s.planes * s.OH * s.OW;
  if (total == 0) return;
  dispatch_floating(dt, "cuda avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    avg_forward<T><<<grid_for(total, l), kThreads, 0, l.stream>>>(s, static_cast<const T*>(x),
                                                                   static_cast<T*>(out));
    NF_CUDA_CHECK_LAUNCH();
  });
}

void avg_pool_backward(const PoolShape& s, DType dt, const void* grad_out, void* grad_x,
                       const Launch& l) {
  const int64_t total = s.planes * s.H * s.W;
  if (total == 0) return;
  dispatch_floating(dt, "cuda avg_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    avg_backward<T><<<grid_for(total, l), kThreads, 0, l.stream>>>(
        s, static_cast<const T*>(grad_out), static_cast<T*>(grad_x));
    NF_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nf::cuda
