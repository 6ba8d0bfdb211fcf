// conv2d on the CPU: im2col + GEMM per image and group, with the direct
// depthwise kernels (depthwise.h) when groups == C_in.
//
// Per image n and group g (K = C/g*KH*KW, P = OH*OW, w_g = w[g*O/g : +O/g] as [O/g, K]):
//   forward:         out[n,g] [O/g, P] = w_g x col(x[n,g])                (+ bias)
//   backward_input:  col [K, P] = w_g^T x grad_out[n,g];  grad_x[n,g] = col2im(col)
//   backward_weight: grad_w_g [O/g, K] = sum_n grad_out[n,g] x col(x[n,g])^T
// A 1x1 kernel at stride 1 without padding needs no columns: col(x) is x itself.
// Other stride-1 convolutions run forward and backward-input as an implicit
// GEMM (conv_implicit.h) without a column matrix, and every stride-1 weight
// gradient (1x1 included) runs the direct kernel of conv_weight_grad.h;
// strided convolutions use im2col.
#include <algorithm>
#include <vector>

#include "tensor/cpu/conv_implicit.h"
#include "tensor/cpu/conv_weight_grad.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/depthwise.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/im2col.h"
#include "tensor/cpu/parallel.h"
#include "tensor/cpu/scratch.h"

namespace nf::cpu {
namespace {

// Below this many multiply-adds in all, a convolution runs on one thread.
constexpr int64_t kParallelFlops = int64_t{1} << 18;
// Above this many per image, a lone image keeps all threads busy inside its GEMM.
constexpr int64_t kBigImageFlops = int64_t{1} << 22;

struct ConvDims {
  int64_t N, C, H, W, O, KH, KW, OH, OW, G, Cg, Og;
  // One group of one image (C/g channels); depthwise kernels take all C planes.
  ConvGeometry geometry(const ConvParams& p) const { return {Cg, H, W, KH, KW, OH, OW, p}; }
  ConvGeometry planes(const ConvParams& p) const { return {C, H, W, KH, KW, OH, OW, p}; }
  int64_t K() const { return Cg * KH * KW; }
  int64_t P() const { return OH * OW; }
  bool depthwise() const { return G > 1 && G == C; }
  bool pointwise(const ConvParams& p) const {
    return KH == 1 && KW == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0;
  }
  int64_t flops_per_image() const { return O * K() * P(); }
};

// x [N,C,H,W], w [O,C/g,KH,KW], y [N,O,OH,OW] (y = out or grad_out).
ConvDims conv_dims(const Shape& x, const Shape& w, const Shape& y, const ConvParams& p,
                   const char* op) {
  NF_CHECK(x.size() == 4 && w.size() == 4 && y.size() == 4 && p.groups >= 1 &&
               x[1] == w[1] * p.groups && w[0] % p.groups == 0 && y[0] == x[0] && y[1] == w[0],
           op, ": cpu kernel got inconsistent shapes x ", shape_str(x), ", w ", shape_str(w),
           ", out ", shape_str(y), " with groups ", p.groups);
  return {x[0], x[1], x[2], x[3], w[0], w[2], w[3], y[2], y[3], p.groups, w[1], w[0] / p.groups};
}

// Images (or image ranges) per chunk of a parallel loop over `items` of
// `flops` multiply-adds each: one per thread when that balances, else one
// chunk so the threads work inside each GEMM and im2col instead.
int64_t item_grain(int64_t items, int64_t flops) {
  const int64_t threads = max_threads();
  if (items * flops < kParallelFlops) return items;
  if (items % threads == 0 || items >= 4 * threads || flops < kBigImageFlops) return 1;
  return items;
}

// Rows of out[n, g*Og : +Og] ([Og, P]) start at their bias.
template <typename T>
void fill_bias(const T* bias, int64_t Og, int64_t P, T* out) {
  for (int64_t o = 0; o < Og; ++o) std::fill(out + o * P, out + (o + 1) * P, bias[o]);
}

template <typename T>
void forward(const ConvDims& d, const ConvParams& p, const T* x, const T* w, const T* bias,
             T* out) {
  const ConvGeometry geo = d.geometry(p);
  const int64_t K = d.K(), P = d.P();
  const bool direct = d.pointwise(p);
  if (!direct && implicit_conv_applies(geo)) {
    for (int64_t g = 0; g < d.G; ++g)
      conv_forward_implicit(geo, d.N, d.Og, x + g * d.Cg * d.H * d.W, d.C * d.H * d.W,
                            w + g * d.Og * K, bias ? bias + g * d.Og : nullptr, out + g * d.Og * P,
                            d.O * P);
    return;
  }
  parallel_for(0, d.N, item_grain(d.N, d.flops_per_image()), [&](int64_t lo, int64_t hi) {
    T* col = direct ? nullptr : thread_scratch<T>(ScratchSlot::conv_columns, K * P);
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t g = 0; g < d.G; ++g) {
        const T* xg = x + (n * d.C + g * d.Cg) * d.H * d.W;
        T* og = out + (n * d.O + g * d.Og) * P;
        if (!direct) im2col(geo, xg, col);
        if (bias) fill_bias(bias + g * d.Og, d.Og, P, og);
        gemm(false, false, d.Og, P, K, T(1), w + g * d.Og * K, K, direct ? xg : col, P,
             bias ? T(1) : T(0), og, P);
      }
  });
}

// At stride 1, grad_x is the convolution of grad_out with the weights
// flipped and transposed (w_t[c, o, kh, kw] = w[o, c, KH-1-kh, KW-1-kw]),
// padded by dilation*(K-1) - pad, which must not be negative.
template <typename T>
bool backward_input_implicit(const ConvDims& d, const ConvParams& p, const T* grad_out,
                             const T* w, T* grad_x) {
  ConvParams pt = p;
  pt.pad_h = p.dilation_h * (d.KH - 1) - p.pad_h;
  pt.pad_w = p.dilation_w * (d.KW - 1) - p.pad_w;
  const ConvGeometry geo(d.Og, d.OH, d.OW, d.KH, d.KW, d.H, d.W, pt);
  if (pt.pad_h < 0 || pt.pad_w < 0 || !implicit_conv_applies(geo)) return false;
  const int64_t taps = d.KH * d.KW, K = d.K();
  std::vector<T> wt(d.Cg * d.Og * taps);  // one group's [Cg, Og*KH*KW]
  for (int64_t g = 0; g < d.G; ++g) {
    const T* wg = w + g * d.Og * K;
    for (int64_t o = 0; o < d.Og; ++o)
      for (int64_t c = 0; c < d.Cg; ++c)
        for (int64_t t = 0; t < taps; ++t)
          wt[(c * d.Og + o) * taps + t] = wg[(o * d.Cg + c) * taps + (taps - 1 - t)];
    conv_forward_implicit(geo, d.N, d.Cg, grad_out + g * d.Og * d.P(), d.O * d.P(), wt.data(),
                          static_cast<const T*>(nullptr), grad_x + g * d.Cg * d.H * d.W,
                          d.C * d.H * d.W);
  }
  return true;
}

template <typename T>
void backward_input(const ConvDims& d, const ConvParams& p, const T* grad_out, const T* w,
                    T* grad_x) {
  const ConvGeometry geo = d.geometry(p);
  const int64_t K = d.K(), P = d.P();
  const bool direct = d.pointwise(p);
  if (!direct && backward_input_implicit(d, p, grad_out, w, grad_x)) return;
  parallel_for(0, d.N, item_grain(d.N, d.flops_per_image()), [&](int64_t lo, int64_t hi) {
    T* col = direct ? nullptr : thread_scratch<T>(ScratchSlot::conv_columns, K * P);
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t g = 0; g < d.G; ++g) {
        const T* gog = grad_out + (n * d.O + g * d.Og) * P;
        T* gxg = grad_x + (n * d.C + g * d.Cg) * d.H * d.W;
        gemm(true, false, K, P, d.Og, T(1), w + g * d.Og * K, K, gog, P, T(0), direct ? gxg : col,
             P);
        if (!direct) {
          std::fill(gxg, gxg + d.Cg * d.H * d.W, T(0));
          col2im(geo, col, gxg);
        }
      }
  });
}

// Strided: the batch is cut into a number of image ranges that depends on the shapes
// only (never on the thread count); each range sums into its own [O, K]
// buffer, which are then added in order, so the result is reproducible.
template <typename T>
void backward_weight(const ConvDims& d, const ConvParams& p, const T* grad_out, const T* x,
                     T* grad_w) {
  constexpr int64_t kMaxParts = 8, kMaxPartialBytes = int64_t{64} << 20;
  const ConvGeometry geo = d.geometry(p);
  if (implicit_conv_applies(geo)) {  // stride 1 (1x1 included): the direct kernel
    for (int64_t g = 0; g < d.G; ++g)
      conv_weight_grad_stride1(geo, d.N, d.Og, grad_out + g * d.Og * d.P(), d.O * d.P(),
                               x + g * d.Cg * d.H * d.W, d.C * d.H * d.W, grad_w + g * d.Og * d.K());
    return;
  }
  const int64_t K = d.K(), P = d.P(), wsize = d.O * K;
  if (d.N == 0) return std::fill(grad_w, grad_w + wsize, T(0));
  const int64_t w_bytes = std::max<int64_t>(1, wsize) * static_cast<int64_t>(sizeof(T));
  const int64_t parts = std::clamp<int64_t>(std::min(d.N, kMaxParts), 1,
                                            std::max<int64_t>(1, kMaxPartialBytes / w_bytes));
  std::vector<T> partial((parts - 1) * wsize);  // part 0 sums straight into grad_w
  const bool direct = d.pointwise(p);
  const int64_t images_per_part = (d.N + parts - 1) / parts;
  parallel_for(0, parts, item_grain(parts, images_per_part * d.flops_per_image()),
               [&](int64_t lo, int64_t hi) {
    T* col = direct ? nullptr : thread_scratch<T>(ScratchSlot::conv_columns, K * P);
    for (int64_t part = lo; part < hi; ++part) {
      T* dst = part == 0 ? grad_w : partial.data() + (part - 1) * wsize;
      const int64_t n_lo = part * d.N / parts, n_hi = (part + 1) * d.N / parts;
      for (int64_t n = n_lo; n < n_hi; ++n)
        for (int64_t g = 0; g < d.G; ++g) {
          const T* xg = x + (n * d.C + g * d.Cg) * d.H * d.W;
          if (!direct) im2col(geo, xg, col);
          gemm(false, true, d.Og, K, P, T(1), grad_out + (n * d.O + g * d.Og) * P, P,
               direct ? xg : col, P, n == n_lo ? T(0) : T(1), dst + g * d.Og * K, K);
        }
    }
  });
  for (int64_t part = 1; part < parts; ++part) {
    const T* src = partial.data() + (part - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) grad_w[i] += src[i];
  }
}

}  // namespace

void CpuBackend::conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias,
                                const ConvParams& p, Tensor& out) {
  const ConvDims d = conv_dims(x.shape(), w.shape(), out.shape(), p, "conv2d");
  dispatch_floating(x.dtype(), "conv2d", [&](auto tag) {
    using T = decltype(tag);
    const T* b = bias.defined() ? bias.data<T>() : nullptr;
    if (d.depthwise())
      depthwise_forward(d.planes(p), d.N, d.Og, x.data<T>(), w.data<T>(), b, out.data<T>());
    else
      forward(d, p, x.data<T>(), w.data<T>(), b, out.data<T>());
  });
}

void CpuBackend::conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const ConvParams& p,
                                       Tensor& grad_x) {
  const ConvDims d =
      conv_dims(grad_x.shape(), w.shape(), grad_out.shape(), p, "conv2d_backward_input");
  dispatch_floating(grad_out.dtype(), "conv2d_backward_input", [&](auto tag) {
    using T = decltype(tag);
    if (d.depthwise())
      depthwise_backward_input(d.planes(p), d.N, d.Og, grad_out.data<T>(), w.data<T>(),
                               grad_x.data<T>());
    else
      backward_input(d, p, grad_out.data<T>(), w.data<T>(), grad_x.data<T>());
  });
}

void CpuBackend::conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const ConvParams& p,
                                        Tensor& grad_w) {
  const ConvDims d =
      conv_dims(x.shape(), grad_w.shape(), grad_out.shape(), p, "conv2d_backward_weight");
  dispatch_floating(x.dtype(), "conv2d_backward_weight", [&](auto tag) {
    using T = decltype(tag);
    if (d.depthwise())
      depthwise_backward_weight(d.planes(p), d.N, d.Og, grad_out.data<T>(), x.data<T>(),
                                grad_w.data<T>());
    else
      backward_weight(d, p, grad_out.data<T>(), x.data<T>(), grad_w.data<T>());
  });
}

}  // namespace nf::cpu
