// Direct depthwise convolution (see depthwise.h). Forward: one thread per
// output element. Input gradient: one thread per input element, gathering
// the outputs whose window read it (no atomics). Weight gradient: one block
// per (output channel, tap), reducing over images and output positions in
// double.
#include "cuda/check.h"
#include "cuda/kernels/block_reduce.cuh"
#include "cuda/kernels/depthwise.h"
#include "cuda/kernels/launch.cuh"

namespace nf::cuda {

namespace {

template <typename T>
__global__ void dw_forward(ConvShape s, const T* x, const T* w, const T* bias, T* out) {
  const int64_t mult = s.O / s.C, total = s.N * s.O * s.OH * s.OW;
  NF_GRID_STRIDE_LOOP(i, total) {
    const int64_t ow = i % s.OW, oh = (i / s.OW) % s.OH, o = (i / (s.OW * s.OH)) % s.O;
    const int64_t n = i / (s.OW * s.OH * s.O), c = o / mult;
    const T* xp = x + (n * s.C + c) * s.H * s.W;
    const T* wp = w + o * s.KH * s.KW;
    T acc = T(0);
    for (int64_t kh = 0; kh < s.KH; ++kh) {
      const int64_t ih = oh * s.sh - s.ph + kh * s.dh;
      if (ih < 0 || ih >= s.H) continue;
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        const int64_t iw = ow * s.sw - s.pw + kw * s.dw;
        if (iw < 0 || iw >= s.W) continue;
        acc += xp[ih * s.W + iw] * wp[kh * s.KW + kw];
      }
    }
    out[i] = bias ? acc + bias[o] : acc;
  }
}

template <typename T>
__global__ void dw_backward_input(ConvShape s, const T* grad_out, const T* w, T* grad_x) {
  const int64_t mult = s.O / s.C, total = s.N * s.C * s.H * s.W;
  NF_GRID_STRIDE_LOOP(i, total) {
    const int64_t iw = i % s.W, ih = (i / s.W) % s.H, c = (i / (s.W * s.H)) % s.C;
    const int64_t n = i / (s.W * s.H * s.C);
    T acc = T(0);
    for (int64_t m = 0; m < mult; ++m) {
      const int64_t o = c * mult + m;
      const T* gp = grad_out + (n * s.O + o) * s.OH * s.OW;
      const T* wp = w + o * s.KH * s.KW;
      for (int64_t kh = 0; kh < s.KH; ++kh) {
        const int64_t th = ih + s.ph - kh * s.dh;  // = oh * sh
        if (th < 0 || th % s.sh != 0 || th / s.sh >= s.OH) continue;
        const int64_t oh = th / s.sh;
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          const int64_t tw = iw + s.pw - kw * s.dw;  // = ow * sw
          if (tw < 0 || tw % s.sw != 0 || tw / s.sw >= s.OW) continue;
          acc += gp[oh * s.OW + tw / s.sw] * wp[kh * s.KW + kw];
        }
      }
    }
    grad_x[i] = acc;
  }
}

constexpr int kReduceThreads = 256;

// grid.x = O * KH * KW: block b computes grad_w[o, kh, kw] with o = b / (KH*KW).
template <typename T>
__global__ void __launch_bounds__(kReduceThreads)
    dw_backward_weight(ConvShape s, const T* grad_out, const T* x, T* grad_w) {
  __shared__ double scratch[32];
  const int64_t taps = s.KH * s.KW, mult = s.O / s.C;
  for (int64_t b = blockIdx.x; b < s.O * taps; b += gridDim.x) {
    const int64_t o = b / taps, kh = (b % taps) / s.KW, kw = b % s.KW, c = o / mult;
    const int64_t P = s.OH * s.OW, total = s.N * P;
    double acc = 0.0;
    for (int64_t j = threadIdx.x; j < total; j += blockDim.x) {
      const int64_t n = j / P, p = j % P, oh = p / s.OW, ow = p % s.OW;
      const int64_t ih = oh * s.sh - s.ph + kh * s.dh, iw = ow * s.sw - s.pw + kw * s.dw;
      if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
      acc += static_cast<double>(grad_out[(n * s.O + o) * P + p]) *
             static_cast<double>(x[((n * s.C + c) * s.H + ih) * s.W + iw]);
    }
    acc = block_sum(acc, scratch);
    if (threadIdx.x == 0) grad_w[b] = static_cast<T>(acc);
  }
}

}  // namespace

void depthwise_forward(const ConvShape& s, DType dt, const void* x, const void* w,
                       const void* bias, void* out, const Launch& l) {
  const int64_t total = s.N * s.O * s.OH * s.OW;
  if (total == 0) return;
  dispatch_floating(dt, "cuda depthwise conv2d", [&](auto tag) {
    using T = decltype(tag);
    dw_forward<T><<<grid_for(total, l), kThreads, 0, l.stream>>>(
        s, static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(bias),
        static_cast<T*>(out));
    NF_CUDA_CHECK_LAUNCH();
  });
}

void depthwise_backward_input(const ConvShape& s, DType dt, const void* grad_out, const void* w,
                              void* grad_x, const Launch& l) {
  const int64_t total = s.N * s.C * s.H * s.W;
  if (total == 0) return;
  dispatch_floating(dt, "cuda depthwise conv2d_backward_input", [&](auto tag) {
    using T = decltype(tag);
    dw_backward_input<T><<<grid_for(total, l), kThreads, 0, l.stream>>>(
        s, static_cast<const T*>(grad_out), static_cast<const T*>(w), static_cast<T*>(grad_x));
    NF_CUDA_CHECK_LAUNCH();
  });
}

void depthwise_backward_weight(const ConvShape& s, DType dt, const void* grad_out, const void* x,
                               void* grad_w, const Launch& l) {
  const int64_t blocks = s.O * s.KH * s.KW;
  if (blocks == 0) return;
  dispatch_floating(dt, "cuda depthwise conv2d_backward_weight", [&](auto tag) {
    using T = decltype(tag);
    // Enough blocks to fill the device; each loops over its (o, tap) items.
    const int grid = int(std::min<int64_t>(blocks, int64_t(l.max_blocks) * 4));
    dw_backward_weight<T><<<std::max(grid, 1), kReduceThreads, 0, l.stream>>>(
        s, static_cast<const T*>(grad_out), static_cast<const T*>(x), static_cast<T*>(grad_w));
    NF_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nf::cuda
