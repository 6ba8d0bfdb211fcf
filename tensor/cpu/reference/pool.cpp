// Naive 2-D pooling: the oracle of tensor/cpu/pool.cpp. Every output visits
// its full kernel window and tests each tap against the input bounds (padding
// is skipped: -inf for max, not counted for avg); backward passes are written
// as gathers over the outputs whose window covers each input element, the
// opposite direction from the fast kernels' scatters.
#include <cmath>
#include <limits>

#include "tensor/cpu/reference.h"

namespace nf::cpu::ref {
namespace {

// x-like [N,C,H,W], y-like [N,C,OH,OW]
struct Dims {
  int64_t planes, H, W, OH, OW;
};
Dims dims(const Tensor& x, const Tensor& y) {
  NF_CHECK(x.dim() == 4 && y.dim() == 4, "ref pool2d: expected 4-d tensors, got ",
           shape_str(x.shape()), " and ", shape_str(y.shape()));
  return {x.size(0) * x.size(1), x.size(2), x.size(3), y.size(2), y.size(3)};
}

bool inside(int64_t i, int64_t n) { return i >= 0 && i < n; }

// Number of in-bounds taps of output (oh, ow)'s window.
int64_t window_count(const Dims& d, const PoolParams& p, int64_t oh, int64_t ow) {
  int64_t count = 0;
  for (int64_t kh = 0; kh < p.kernel_h; ++kh)
    for (int64_t kw = 0; kw < p.kernel_w; ++kw)
      count += inside(oh * p.stride_h - p.pad_h + kh, d.H) && inside(ow * p.stride_w - p.pad_w + kw, d.W);
  return count;
}

}  // namespace

void max_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out, Tensor& indices) {
  const Dims d = dims(x, out);
  dispatch_floating(x.dtype(), "ref max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    int64_t* pi = indices.data<int64_t>();
    for (int64_t pl = 0; pl < d.planes; ++pl)
      for (int64_t oh = 0; oh < d.OH; ++oh)
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          double best = -std::numeric_limits<double>::infinity();
          int64_t best_i = -1;
          for (int64_t kh = 0; kh < p.kernel_h; ++kh)
            for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
              const int64_t ih = oh * p.stride_h - p.pad_h + kh, iw = ow * p.stride_w - p.pad_w + kw;
              if (!inside(ih, d.H) || !inside(iw, d.W)) continue;
              const double v = px[(pl * d.H + ih) * d.W + iw];
              if (best_i < 0 || v > best || std::isnan(v)) {  // NaN wins, as in PyTorch
                best = v;
                best_i = ih * d.W + iw;
              }
            }
          po[(pl * d.OH + oh) * d.OW + ow] = static_cast<T>(best);
          pi[(pl * d.OH + oh) * d.OW + ow] = best_i;
        }
  });
}

void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, Tensor& grad_x) {
  const Dims d = dims(grad_x, grad_out);
  dispatch_floating(grad_out.dtype(), "ref max_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = grad_out.data<T>();
    const int64_t* pi = indices.data<int64_t>();
    T* px = grad_x.data<T>();
    for (int64_t pl = 0; pl < d.planes; ++pl)
      for (int64_t i = 0; i < d.H * d.W; ++i) {
        double s = 0;
        for (int64_t o = 0; o < d.OH * d.OW; ++o)
          if (pi[pl * d.OH * d.OW + o] == i) s += pg[pl * d.OH * d.OW + o];
        px[pl * d.H * d.W + i] = static_cast<T>(s);
      }
  });
}

void avg_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out) {
  const Dims d = dims(x, out);
  dispatch_floating(x.dtype(), "ref avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    for (int64_t pl = 0; pl < d.planes; ++pl)
      for (int64_t oh = 0; oh < d.OH; ++oh)
        for (int64_t ow = 0; ow < d.OW; ++ow) {
          double s = 0;
          for (int64_t kh = 0; kh < p.kernel_h; ++kh)
            for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
              const int64_t ih = oh * p.stride_h - p.pad_h + kh, iw = ow * p.stride_w - p.pad_w + kw;
              if (inside(ih, d.H) && inside(iw, d.W)) s += px[(pl * d.H + ih) * d.W + iw];
            }
          const int64_t count = window_count(d, p, oh, ow);
          po[(pl * d.OH + oh) * d.OW + ow] = static_cast<T>(count > 0 ? s / double(count) : 0.0);
        }
  });
}

void avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, Tensor& grad_x) {
  const Dims d = dims(grad_x, grad_out);
  dispatch_floating(grad_out.dtype(), "ref avg_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = grad_out.data<T>();
    T* px = grad_x.data<T>();
    for (int64_t pl = 0; pl < d.planes; ++pl)
      for (int64_t ih = 0; ih < d.H; ++ih)
        for (int64_t iw = 0; iw < d.W; ++iw) {
          double s = 0;
          for (int64_t oh = 0; oh < d.OH; ++oh)
            for (int64_t ow = 0; ow < d.OW; ++ow) {
              const int64_t kh = ih - (oh * p.stride_h - p.pad_h), kw = iw - (ow * p.stride_w - p.pad_w);
              if (inside(kh, p.kernel_h) && inside(kw, p.kernel_w))
                s += pg[(pl * d.OH + oh) * d.OW + ow] / double(window_count(d, p, oh, ow));
            }
          px[(pl * d.H + ih) * d.W + iw] = static_cast<T>(s);
        }
  });
}

}  // namespace nf::cpu::ref
