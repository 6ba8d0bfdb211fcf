// Naive conv2d: the oracle of tensor/cpu/conv.cpp and depthwise.cpp. Direct
// loops over every (image, output channel, output position, input channel of
// the group, kernel tap), summing in double; no im2col, no GEMM.
#include <vector>

#include "tensor/cpu/reference.h"

namespace nf::cpu::ref {
namespace {

// x [N,C,H,W], w [O,C/g,KH,KW], y [N,O,OH,OW] (y = out or grad_out).
struct Dims {
  int64_t N, C, H, W, O, Cg, KH, KW, OH, OW, Og;
};

Dims dims(const Shape& x, const Shape& w, const Shape& y, const ConvParams& p) {
  NF_CHECK(x.size() == 4 && w.size() == 4 && y.size() == 4 && x[1] == w[1] * p.groups,
           "ref conv2d: inconsistent shapes x ", shape_str(x), ", w ", shape_str(w), ", out ",
           shape_str(y), " with groups ", p.groups);
  return {x[0], x[1], x[2], x[3], w[0], w[1], w[2], w[3], y[2], y[3], w[0] / p.groups};
}

// Calls fn(n, o, oh, ow, c, ci, kh, kw, ih, iw) for every tap that lands inside x:
// x[n,c,ih,iw] meets w[o,ci,kh,kw] in y[n,o,oh,ow].
template <typename Fn>
void for_each_tap(const Dims& d, const ConvParams& p, Fn&& fn) {
  for (int64_t n = 0; n < d.N; ++n)
    for (int64_t o = 0; o < d.O; ++o)
      for (int64_t oh = 0; oh < d.OH; ++oh)
        for (int64_t ow = 0; ow < d.OW; ++ow)
          for (int64_t ci = 0; ci < d.Cg; ++ci)
            for (int64_t kh = 0; kh < d.KH; ++kh)
              for (int64_t kw = 0; kw < d.KW; ++kw) {
                const int64_t ih = oh * p.stride_h - p.pad_h + kh * p.dilation_h;
                const int64_t iw = ow * p.stride_w - p.pad_w + kw * p.dilation_w;
                if (ih < 0 || ih >= d.H || iw < 0 || iw >= d.W) continue;
                fn(n, o, oh, ow, (o / d.Og) * d.Cg + ci, ci, kh, kw, ih, iw);
              }
}

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvParams& p,
                    Tensor& out) {
  const Dims d = dims(x.shape(), w.shape(), out.shape(), p);
  dispatch_floating(x.dtype(), "ref conv2d", [&](auto tag) {
    using T = decltype(tag);
    const T *px = x.data<T>(), *pw = w.data<T>();
    std::vector<double> acc(out.numel(), 0.0);
    for_each_tap(d, p, [&](int64_t n, int64_t o, int64_t oh, int64_t ow, int64_t c, int64_t ci,
                           int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
      acc[((n * d.O + o) * d.OH + oh) * d.OW + ow] +=
          double(px[((n * d.C + c) * d.H + ih) * d.W + iw]) *
          double(pw[((o * d.Cg + ci) * d.KH + kh) * d.KW + kw]);
    });
    T* po = out.data<T>();
    for (size_t i = 0; i < acc.size(); ++i) {
      const int64_t o = static_cast<int64_t>(i) / (d.OH * d.OW) % d.O;
      po[i] = static_cast<T>(acc[i] + (bias.defined() ? double(bias.data<T>()[o]) : 0.0));
    }
  });
}

void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const ConvParams& p,
                           Tensor& grad_x) {
  const Dims d = dims(grad_x.shape(), w.shape(), grad_out.shape(), p);
  dispatch_floating(grad_out.dtype(), "ref conv2d_backward_input", [&](auto tag) {
    using T = decltype(tag);
    const T *pg = grad_out.data<T>(), *pw = w.data<T>();
    std::vector<double> acc(grad_x.numel(), 0.0);
    for_each_tap(d, p, [&](int64_t n, int64_t o, int64_t oh, int64_t ow, int64_t c, int64_t ci,
                           int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
      acc[((n * d.C + c) * d.H + ih) * d.W + iw] +=
          double(pg[((n * d.O + o) * d.OH + oh) * d.OW + ow]) *
          double(pw[((o * d.Cg + ci) * d.KH + kh) * d.KW + kw]);
    });
    T* px = grad_x.data<T>();
    for (size_t i = 0; i < acc.size(); ++i) px[i] = static_cast<T>(acc[i]);
  });
}

void conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const ConvParams& p,
                            Tensor& grad_w) {
  const Dims d = dims(x.shape(), grad_w.shape(), grad_out.shape(), p);
  dispatch_floating(x.dtype(), "ref conv2d_backward_weight", [&](auto tag) {
    using T = decltype(tag);
    const T *pg = grad_out.data<T>(), *px = x.data<T>();
    std::vector<double> acc(grad_w.numel(), 0.0);
    for_each_tap(d, p, [&](int64_t n, int64_t o, int64_t oh, int64_t ow, int64_t c, int64_t ci,
                           int64_t kh, int64_t kw, int64_t ih, int64_t iw) {
      acc[((o * d.Cg + ci) * d.KH + kh) * d.KW + kw] +=
          double(pg[((n * d.O + o) * d.OH + oh) * d.OW + ow]) *
          double(px[((n * d.C + c) * d.H + ih) * d.W + iw]);
    });
    T* pw = grad_w.data<T>();
    for (size_t i = 0; i < acc.size(); ++i) pw[i] = static_cast<T>(acc[i]);
  });
}

}  // namespace nf::cpu::ref
