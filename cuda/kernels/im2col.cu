// im2col / col2im and small helpers of the GEMM convolutions (see im2col.h).
// One thread per column element (im2col) or per input element (col2im, which
// gathers instead of scattering: no atomics, and a fixed summation order).
#include "cuda/check.h"
#include "cuda/kernels/im2col.h"
#include "cuda/kernels/launch.cuh"

namespace nf::cuda {

namespace {

template <typename T>
__global__ void im2col_kernel(ConvShape s, const T* x, int64_t n0, int64_t nb, T* col,
                              int64_t row_stride, int64_t image_stride) {
  const int64_t P = s.OH * s.OW, rows = s.C * s.KH * s.KW;  // (P(), rows() are host-only)
  const int64_t total = nb * rows * P;
  NF_GRID_STRIDE_LOOP(i, total) {
    // i = (img * rows + row) * P + p
    const int64_t p = i % P;
    const int64_t row = (i / P) % rows;
    const int64_t img = i / (P * rows);
    const int64_t kw = row % s.KW, kh = (row / s.KW) % s.KH, c = row / (s.KW * s.KH);
    const int64_t ow = p % s.OW, oh = p / s.OW;
    const int64_t ih = oh * s.sh - s.ph + kh * s.dh, iw = ow * s.sw - s.pw + kw * s.dw;
    T v = T(0);
    if (ih >= 0 && ih < s.H && iw >= 0 && iw < s.W)
      v = x[(((n0 + img) * s.C + c) * s.H + ih) * s.W + iw];
    col[row * row_stride + img * image_stride + p] = v;
  }
}

// Input element (img, c, ih, iw) was read by tap (kh, kw) at output (oh, ow)
// when oh*sh = ih + ph - kh*dh (likewise for w) with oh in [0, OH).
template <typename T>
__global__ void col2im_kernel(ConvShape s, const T* col, int64_t n0, int64_t nb, T* grad_x) {
  const int64_t P = s.OH * s.OW, rows = s.C * s.KH * s.KW;  // (P(), rows() are host-only)
  const int64_t total = nb * s.C * s.H * s.W;
  NF_GRID_STRIDE_LOOP(i, total) {
    const int64_t iw = i % s.W, ih = (i / s.W) % s.H, c = (i / (s.W * s.H)) % s.C;
    const int64_t img = i / (s.W * s.H * s.C);
    const T* cimg = col + img * rows * P;
    T acc = T(0);
    for (int64_t kh = 0; kh < s.KH; ++kh) {
      const int64_t th = ih + s.ph - kh * s.dh;
      if (th < 0 || th % s.sh != 0) continue;
      const int64_t oh = th / s.sh;
      if (oh >= s.OH) continue;
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        const int64_t tw = iw + s.pw - kw * s.dw;
        if (tw < 0 || tw % s.sw != 0) continue;
        const int64_t ow = tw / s.sw;
        if (ow >= s.OW) continue;
        acc += cimg[((c * s.KH + kh) * s.KW + kw) * P + oh * s.OW + ow];
      }
    }
    grad_x[(((n0 + img) * s.C + c) * s.H + ih) * s.W + iw] = acc;
  }
}

template <typename T>
__global__ void add_bias_kernel(T* out, const T* bias, int64_t N, int64_t O, int64_t P) {
  NF_GRID_STRIDE_LOOP(i, N * O * P) out[i] += bias[(i / P) % O];
}

template <typename T>
__global__ void channels_first_kernel(const T* src, int64_t n0, int64_t nb, int64_t O, int64_t P,
                                      T* dst) {
  NF_GRID_STRIDE_LOOP(i, nb * O * P) {
    // i = (o * nb + img) * P + p, the dst order (coalesced writes)
    const int64_t p = i % P, img = (i / P) % nb, o = i / (P * nb);
    dst[i] = src[((n0 + img) * O + o) * P + p];
  }
}

}  // namespace

void im2col(const ConvShape& s, DType dt, const void* x, int64_t n0, int64_t nb, void* col,
            int64_t row_stride, int64_t image_stride, const Launch& l) {
  const int64_t total = nb * s.rows() * s.P();
  if (total == 0) return;
  dispatch_floating(dt, "cuda im2col", [&](auto tag) {
    using T = decltype(tag);
    im2col_kernel<T><<<grid_for(total, l), kThreads, 0, l.stream>>>(
        s, static_cast<const T*>(x), n0, nb, static_cast<T*>(col), row_stride, image_stride);
    NF_CUDA_CHECK_LAUNCH();
  });
}

void col2im(const ConvShape& s, DType dt, const void* col, int64_t n0, int64_t nb, void* grad_x,
            const Launch& l) {
  const int64_t total = nb * s.C * s.H * s.W;
  if (total == 0) return;
  dispatch_floating(dt, "cuda col2im", [&](auto tag) {
    using T = decltype(tag);
    col2im_kernel<T><<<grid_for(total, l), kThreads, 0, l.stream>>>(
        s, static_cast<const T*>(col), n0, nb, static_cast<T*>(grad_x));
    NF_CUDA_CHECK_LAUNCH();
  });
}

void add_channel_bias(DType dt, void* out, const void* bias, int64_t N, int64_t O, int64_t P,
                      const Launch& l) {
  const int64_t total = N * O * P;
  if (total == 0) return;
  dispatch_floating(dt, "cuda conv2d bias", [&](auto tag) {
    using T = decltype(tag);
    add_bias_kernel<T><<<grid_for(total, l), kThreads, 0, l.stream>>>(
        static_cast<T*>(out), static_cast<const T*>(bias), N, O, P);
    NF_CUDA_CHECK_LAUNCH();
  });
}

void channels_first(DType dt, const void* src, int64_t n0, int64_t nb, int64_t O, int64_t P,
                    void* dst, const Launch& l) {
  const int64_t total = nb * O * P;
  if (total == 0) return;
  dispatch_floating(dt, "cuda conv2d channels_first", [&](auto tag) {
    using T = decltype(tag);
    channels_first_kernel<T><<<grid_for(total, l), kThreads, 0, l.stream>>>(
        static_cast<const T*>(src), n0, nb, O, P, static_cast<T*>(dst));
    NF_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace nf::cuda
