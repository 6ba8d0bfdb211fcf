// conv2d on CUDA (the FusedBackend methods; kernels in kernels/im2col.cu and
// kernels/depthwise.cu, GEMMs through gemm_run.h). Depthwise (groups == C_in)
// uses the direct kernels; otherwise, per chunk of images (bounded so the
// column buffer from the caching allocator stays under kColumnBytes) and per
// group g (K = C/g*KH*KW, P = OH*OW, w_g = w[g*O/g : +O/g] as [O/g, K]):
//   forward:         out[n,g] [O/g, P] = w_g x col(x[n,g])    batched over n (+ bias)
//   backward_input:  col [K, P] = w_g^T x grad_out[n,g]         batched over n, then col2im
//   backward_weight: grad_w_g [O/g, K] += grad_out_g [O/g, nb*P] x col_g^T [nb*P, K]
//                    (the chunk's images side by side: one GEMM per chunk, batched over g)
// A 1x1 kernel at stride 1 without padding needs no columns for the first two.
#include <algorithm>

#include "cuda/check.h"
#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/fused.h"
#include "cuda/gemm_run.h"
#include "cuda/kernels/depthwise.h"
#include "cuda/kernels/im2col.h"
#include "cuda/scratch.h"

namespace nf::cuda {

namespace {

// Upper bound of the per-chunk scratch (columns, plus grad_out regrouped).
constexpr int64_t kColumnBytes = int64_t{256} << 20;

struct ConvDims {
  ConvShape s;
  int64_t G, Cg, Og;
  int64_t K() const { return Cg * s.KH * s.KW; }
  bool depthwise() const { return G > 1 && G == s.C; }
  bool pointwise() const {
    return s.KH == 1 && s.KW == 1 && s.sh == 1 && s.sw == 1 && s.ph == 0 && s.pw == 0;
  }
};

// x [N,C,H,W], w [O,C/g,KH,KW], y [N,O,OH,OW] (y = out or grad_out).
ConvDims conv_dims(const Tensor& x, const Tensor& w, const Tensor& y, const ConvParams& p,
                   const char* op) {
  const Shape &xs = x.shape(), &ws = w.shape(), &ys = y.shape();
  NF_CHECK(xs.size() == 4 && ws.size() == 4 && ys.size() == 4 && p.groups >= 1 &&
               xs[1] == ws[1] * p.groups && ws[0] % p.groups == 0 && ys[0] == xs[0] &&
               ys[1] == ws[0],
           "cuda ", op, ": inconsistent shapes x ", shape_str(xs), ", w ", shape_str(ws), ", out ",
           shape_str(ys), " with groups ", p.groups);
  NF_CHECK(x.is_contiguous() && w.is_contiguous() && y.is_contiguous(), "cuda ", op,
           ": tensors must be contiguous");
  NF_CHECK(x.dtype() == w.dtype() && x.dtype() == y.dtype(), "cuda ", op, ": dtypes ",
           dtype_name(x.dtype()), ", ", dtype_name(w.dtype()), ", ", dtype_name(y.dtype()),
           " differ");
  ConvDims d;
  d.s = {xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], ys[2], ys[3],
         p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dilation_h, p.dilation_w};
  d.G = p.groups;
  d.Cg = ws[1];
  d.Og = ws[0] / p.groups;
  return d;
}

// Images per chunk when each needs `bytes_per_image` of scratch.
int64_t chunk_images(int64_t N, int64_t bytes_per_image) {
  return std::clamp<int64_t>(kColumnBytes / std::max<int64_t>(1, bytes_per_image), 1,
                             std::max<int64_t>(1, N));
}

template <typename T>
void forward(CudaBackend& be, const Launch& l, const ConvDims& d, const T* x, const T* w,
             const T* bias, T* out) {
  const ConvShape& s = d.s;
  const int64_t K = d.K(), P = s.P(), rows = s.rows(), HW = s.H * s.W;
  GemmBatch<T> g;
  g.M = d.Og;
  g.N = P;
  g.K = K;
  g.lda = K;
  g.stride_a = 0;  // one weight matrix for every image
  g.ldb = P;
  g.ldc = P;
  g.stride_c = s.O * P;
  if (d.pointwise()) {  // col(x) is x itself: [C/g, H*W] per image and group
    g.batch = s.N;
    g.stride_b = s.C * HW;
    for (int64_t grp = 0; grp < d.G; ++grp) {
      g.A = w + grp * d.Og * K;
      g.B = x + grp * d.Cg * HW;
      g.C = out + grp * d.Og * P;
      gemm(be, g);
    }
  } else {
    const int64_t nb = chunk_images(s.N, rows * P * int64_t(sizeof(T)));
    Scratch col(be, size_t(nb * rows * P) * sizeof(T));
    g.stride_b = rows * P;
    for (int64_t n0 = 0; n0 < s.N; n0 += nb) {
      const int64_t cnt = std::min(nb, s.N - n0);
      im2col(s, dtype_of<T>(), x, n0, cnt, col.as<T>(), P, rows * P, l);  // [cnt][rows][P]
      g.batch = cnt;
      for (int64_t grp = 0; grp < d.G; ++grp) {
        g.A = w + grp * d.Og * K;
        g.B = col.as<T>() + grp * K * P;
        g.C = out + (n0 * s.O + grp * d.Og) * P;
        gemm(be, g);
      }
    }
  }
  if (bias) add_channel_bias(dtype_of<T>(), out, bias, s.N, s.O, P, l);
}

template <typename T>
void backward_input(CudaBackend& be, const Launch& l, const ConvDims& d, const T* grad_out,
                    const T* w, T* grad_x) {
  const ConvShape& s = d.s;
  const int64_t K = d.K(), P = s.P(), rows = s.rows(), HW = s.H * s.W;
  GemmBatch<T> g;
  g.trans_a = true;  // w_g stored [O/g, K], read as [K, O/g]
  g.M = K;
  g.N = P;
  g.K = d.Og;
  g.lda = K;
  g.stride_a = 0;
  g.ldb = P;
  g.stride_b = s.O * P;
  g.ldc = P;
  if (d.pointwise()) {  // the columns are grad_x itself
    g.batch = s.N;
    g.stride_c = s.C * HW;
    for (int64_t grp = 0; grp < d.G; ++grp) {
      g.A = w + grp * d.Og * K;
      g.B = grad_out + grp * d.Og * P;
      g.C = grad_x + grp * d.Cg * HW;
      gemm(be, g);
    }
    return;
  }
  const int64_t nb = chunk_images(s.N, rows * P * int64_t(sizeof(T)));
  Scratch col(be, size_t(nb * rows * P) * sizeof(T));
  g.stride_c = rows * P;
  for (int64_t n0 = 0; n0 < s.N; n0 += nb) {
    const int64_t cnt = std::min(nb, s.N - n0);
    g.batch = cnt;
    for (int64_t grp = 0; grp < d.G; ++grp) {
      g.A = w + grp * d.Og * K;
      g.B = grad_out + (n0 * s.O + grp * d.Og) * P;
      g.C = col.as<T>() + grp * K * P;
      gemm(be, g);
    }
    col2im(s, dtype_of<T>(), col.as<T>(), n0, cnt, grad_x, l);
  }
}

template <typename T>
void backward_weight(CudaBackend& be, const Launch& l, const ConvDims& d, const T* grad_out,
                     const T* x, T* grad_w) {
  const ConvShape& s = d.s;
  const int64_t K = d.K(), P = s.P(), rows = s.rows();
  if (s.N == 0) {
    const size_t bytes = size_t(s.O * K) * sizeof(T);
    if (bytes) NF_CUDA_CHECK(cudaMemsetAsync(grad_w, 0, bytes, l.stream));
    return;
  }
  const int64_t nb = chunk_images(s.N, (rows + s.O) * P * int64_t(sizeof(T)));
  Scratch col(be, size_t(nb * rows * P) * sizeof(T));   // [rows][cnt*P]
  Scratch go(be, size_t(nb * s.O * P) * sizeof(T));     // [O][cnt*P]
  for (int64_t n0 = 0; n0 < s.N; n0 += nb) {
    const int64_t cnt = std::min(nb, s.N - n0), width = cnt * P;
    im2col(s, dtype_of<T>(), x, n0, cnt, col.as<T>(), width, P, l);
    channels_first(dtype_of<T>(), grad_out, n0, cnt, s.O, P, go.as<T>(), l);
    GemmBatch<T> g;  // batched over groups
    g.trans_b = true;  // col_g stored [K, width], read as [width, K]
    g.M = d.Og;
    g.N = K;
    g.K = width;
    g.A = go.as<T>();
    g.lda = width;
    g.stride_a = d.Og * width;
    g.B = col.as<T>();
    g.ldb = width;
    g.stride_b = K * width;
    g.C = grad_w;
    g.ldc = K;
    g.stride_c = d.Og * K;
    g.batch = d.G;
    g.beta = n0 == 0 ? T(0) : T(1);  // the first chunk overwrites, the others accumulate
    gemm(be, g);
  }
}

}  // namespace

void CudaFusedBackend::conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias,
                                      const ConvParams& p, Tensor& out) {
  check_devices("conv2d", {&x, &w, &bias, &out});
  const ConvDims d = conv_dims(x, w, out, p, "conv2d");
  if (out.numel() == 0) return;
  DeviceGuard guard(be_.device().index);
  dispatch_floating(x.dtype(), "cuda conv2d", [&](auto tag) {
    using T = decltype(tag);
    const T* b = bias.defined() ? bias.data<T>() : nullptr;
    if (d.depthwise())
      depthwise_forward(d.s, x.dtype(), x.data<T>(), w.data<T>(), b, out.data<T>(), launch());
    else
      forward<T>(be_, launch(), d, x.data<T>(), w.data<T>(), b, out.data<T>());
  });
}

void CudaFusedBackend::conv2d_backward_input(const Tensor& grad_out, const Tensor& w,
                                             const ConvParams& p, Tensor& grad_x) {
  check_devices("conv2d_backward_input", {&grad_out, &w, &grad_x});
  const ConvDims d = conv_dims(grad_x, w, grad_out, p, "conv2d_backward_input");
  if (grad_x.numel() == 0) return;
  DeviceGuard guard(be_.device().index);
  dispatch_floating(grad_out.dtype(), "cuda conv2d_backward_input", [&](auto tag) {
    using T = decltype(tag);
    if (d.depthwise())
      depthwise_backward_input(d.s, grad_out.dtype(), grad_out.data<T>(), w.data<T>(),
                               grad_x.data<T>(), launch());
    else
      backward_input<T>(be_, launch(), d, grad_out.data<T>(), w.data<T>(), grad_x.data<T>());
  });
}

void CudaFusedBackend::conv2d_backward_weight(const Tensor& grad_out, const Tensor& x,
                                              const ConvParams& p, Tensor& grad_w) {
  check_devices("conv2d_backward_weight", {&grad_out, &x, &grad_w});
  const ConvDims d = conv_dims(x, grad_w, grad_out, p, "conv2d_backward_weight");
  if (grad_w.numel() == 0) return;
  DeviceGuard guard(be_.device().index);
  dispatch_floating(x.dtype(), "cuda conv2d_backward_weight", [&](auto tag) {
    using T = decltype(tag);
    if (d.depthwise())
      depthwise_backward_weight(d.s, x.dtype(), grad_out.data<T>(), x.data<T>(),
                                grad_w.data<T>(), launch());
    else
      backward_weight<T>(be_, launch(), d, grad_out.data<T>(), x.data<T>(), grad_w.data<T>());
  });
}

}  // namespace nf::cuda
