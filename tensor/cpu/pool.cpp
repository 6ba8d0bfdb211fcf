// 2-D max and average pooling on NCHW, parallel over (n, c) planes: every
// plane of the output (forward) or of grad_x (backward) belongs to one thread,
// so the scatter-adds of the backward passes need no atomics and sum in a
// fixed order. Padding is implicit: -inf for max, left out of the divisor for
// avg (count_include_pad = false).
#include <algorithm>
#include <cstring>
#include <atomic>
#include <cstdint>
#include <type_traits>
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/parallel.h"

namespace nf::cpu {
namespace {

struct PoolDims {
  int64_t planes, H, W, OH, OW;  // planes = N*C
};

// x-like [N,C,H,W], out-like [N,C,OH,OW]
PoolDims pool_dims(const Tensor& x, const Tensor& y, const char* op) {
  NF_CHECK(x.dim() == 4 && y.dim() == 4 && x.size(0) == y.size(0) && x.size(1) == y.size(1), op,
           ": cpu kernel got input ", shape_str(x.shape()), " and output ", shape_str(y.shape()));
  return {x.size(0) * x.size(1), x.size(2), x.size(3), y.size(2), y.size(3)};
}

// The input rows (or columns) [lo, hi) under output position o's window.
struct Window {
  int64_t lo, hi;
  int64_t size() const { return std::max<int64_t>(0, hi - lo); }
};
Window window(int64_t o, int64_t stride, int64_t pad, int64_t kernel, int64_t in) {
  const int64_t start = o * stride - pad;
  return {std::max<int64_t>(start, 0), std::min(start + kernel, in)};
}

int64_t plane_grain(int64_t work) {
  return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, work));
}

}  // namespace

namespace {

// Max pooling vectorised along output columns. Each thread copies its plane
// into scratch padded with -inf (top-left pad ph x pw) and split by column
// phase modulo the stride, phase[f][r][u] = padded[r][f + sw*u], so window
// column kw of output ow is phase[kw % sw][r][ow + kw / sw]: unmasked,
// contiguous vector loads at any stride. Per lane the scan starts from the
// window's first element inside x, then visits the whole window in row-major
// order with the reference's rule (replace when v > best or v is NaN): -inf
// padding never wins, so values and indices (the first maximum, or the last
// NaN) match the scalar scan. Needs pad < kernel on both axes, so that no
// window lies wholly in the padding.
template <typename T>
using PoolVec [[gnu::vector_size(32)]] = T;
// Memory goes through memcpy (unaligned vector moves in both compilers; a
// cast to an under-aligned vector type is not honoured by clang in templates).
template <typename T>
PoolVec<T> pool_load(const T* p) {
  PoolVec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
using PoolMask [[gnu::vector_size(32)]] = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;

// This thread's buffer of at least n elements (contents unspecified): one
// plane's padded input (max) or window sums (avg), so a call allocates nothing
// once the buffer has grown to the largest plane.
template <typename T>
T* padded_plane_scratch(size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

template <typename T>
void max_pool_planes_vec(const PoolDims& d, const PoolParams& p, const T* px, T* po, int64_t* pi, int64_t lo,
                         int64_t hi) {
  using Vec = PoolVec<T>;
  using Mask = PoolMask<T>;
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;  // window offsets (plane < 2^31)
  constexpr int64_t V = 32 / static_cast<int64_t>(sizeof(T));
  const int64_t KH = p.kernel_h, KW = p.kernel_w, ph = p.pad_h, pw = p.pad_w, sh = p.stride_h, sw = p.stride_w;
  const int64_t nvec = (d.OW + V - 1) / V;
  const int64_t Rp = std::max(d.H + 2 * ph, (d.OH - 1) * sh + KH);              // padded rows
  const int64_t Cu = std::max((d.W + 2 * pw + sw - 1) / sw, nvec * V + (KW - 1) / sw);  // phase row length
  T* xp = padded_plane_scratch<T>(size_t(sw * Rp * Cu));                     // [sw][Rp][Cu]
  std::fill(xp, xp + sw * Rp * Cu, -std::numeric_limits<T>::infinity());  // padding; interior rewritten per plane
  alignas(32) T best_l[V];
  alignas(32) I delta_l[V];
  for (int64_t plane = lo; plane < hi; ++plane) {
    const T* x = px + plane * d.H * d.W;
    for (int64_t ih = 0; ih < d.H; ++ih) {
      const T* src = x + ih * d.W;
      if (sw == 1) {
        std::copy(src, src + d.W, xp + (ih + ph) * Cu + pw);
        continue;
      }
      for (int64_t iw = 0; iw < d.W; ++iw) {  // padded column c = iw + pw = f + sw*u
        const int64_t c = iw + pw;
        xp[((c % sw) * Rp + ih + ph) * Cu + c / sw] = src[iw];
      }
    }
    for (int64_t oh = 0; oh < d.OH; ++oh) {
      const int64_t r0 = oh * sh;                 // padded row of the window's top
      const int64_t kh0 = std::max(r0, ph) - r0;  // window row of its first row inside x
      const int64_t base = (r0 - ph) * d.W - pw;  // flat index of window (0,0) at ow = 0, less ow*sw
      for (int64_t v = 0; v < nvec; ++v) {
        const int64_t ow0 = v * V;
        // Start from the first element inside x: window (kh0, 0), or (kh0, pw - ow*sw) left of x.
        Vec best = pool_load(xp + (r0 + kh0) * Cu + ow0);
        Mask delta = Mask{} + static_cast<I>(kh0 * d.W);
        for (int64_t l = 0; l < V && (ow0 + l) * sw < pw; ++l) {
          best[l] = xp[((pw % sw) * Rp + r0 + kh0) * Cu + pw / sw];
          delta[l] = static_cast<I>(kh0 * d.W + pw - (ow0 + l) * sw);
        }
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw) {
            const T* at = xp + ((kw % sw) * Rp + r0 + kh) * Cu + ow0 + kw / sw;
            const Vec val = pool_load(at);
            const Mask m = (val > best) | (val != val);  // NaN wins, as in PyTorch
            best = m ? val : best;
            delta = m ? (Mask{} + static_cast<I>(kh * d.W + kw)) : delta;
          }
        const int64_t n = std::min(V, d.OW - ow0);
        const int64_t o = (plane * d.OH + oh) * d.OW + ow0;
        std::memcpy(best_l, &best, sizeof best);
        std::memcpy(delta_l, &delta, sizeof delta);
        for (int64_t l = 0; l < n; ++l) {
          po[o + l] = best_l[l];
          pi[o + l] = base + (ow0 + l) * sw + delta_l[l];
        }
      }
    }
  }
}

}  // namespace

void CpuBackend::max_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out,
                                    Tensor& indices) {
  const PoolDims d = pool_dims(x, out, "max_pool2d");
  dispatch_floating(x.dtype(), "max_pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    int64_t* pi = indices.data<int64_t>();
    const int64_t grain = plane_grain(d.OH * d.OW * p.kernel_h * p.kernel_w);
    if (p.pad_h < p.kernel_h && p.pad_w < p.kernel_w && d.OH > 0 && d.OW > 0 &&
        d.H * d.W < (int64_t{1} << 31)) {
      parallel_for(0, d.planes, grain, [&](int64_t lo, int64_t hi) {
        max_pool_planes_vec<T>(d, p, px, po, pi, lo, hi);
      });
      return;
    }
    parallel_for(0, d.planes, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t plane = lo; plane < hi; ++plane) {
        const T* xp = px + plane * d.H * d.W;
        for (int64_t oh = 0; oh < d.OH; ++oh) {
          const Window wh = window(oh, p.stride_h, p.pad_h, p.kernel_h, d.H);
          for (int64_t ow = 0; ow < d.OW; ++ow) {
            const Window ww = window(ow, p.stride_w, p.pad_w, p.kernel_w, d.W);
            // An empty window (padding only) keeps -inf and index -1.
            T best = -std::numeric_limits<T>::infinity();
            int64_t best_i = wh.size() * ww.size() > 0 ? wh.lo * d.W + ww.lo : -1;
            for (int64_t ih = wh.lo; ih < wh.hi; ++ih)
              for (int64_t iw = ww.lo; iw < ww.hi; ++iw) {
                const T v = xp[ih * d.W + iw];
                if (v > best || std::isnan(v)) {  // NaN wins, as in PyTorch
                  best = v;
                  best_i = ih * d.W + iw;
                }
              }
            const int64_t o = (plane * d.OH + oh) * d.OW + ow;
            po[o] = best;
            pi[o] = best_i;
          }
        }
      }
    });
  });
}

void CpuBackend::max_pool2d_backward(const Tensor& grad_out, const Tensor& indices,
                                     Tensor& grad_x) {
  const PoolDims d = pool_dims(grad_x, grad_out, "max_pool2d_backward");
  dispatch_floating(grad_out.dtype(), "max_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = grad_out.data<T>();
    const int64_t* pi = indices.data<int64_t>();
    T* px = grad_x.data<T>();
    const int64_t plane_in = d.H * d.W, plane_out = d.OH * d.OW;
    std::atomic<bool> bad_index{false};
    parallel_for(0, d.planes, plane_grain(plane_in + plane_out), [&](int64_t lo, int64_t hi) {
      for (int64_t plane = lo; plane < hi; ++plane) {
        T* gx = px + plane * plane_in;
        std::fill(gx, gx + plane_in, T(0));
        for (int64_t o = plane * plane_out; o < (plane + 1) * plane_out; ++o) {
          if (pi[o] < 0 || pi[o] >= plane_in) {
            bad_index = true;
            continue;
          }
          gx[pi[o]] += pg[o];
        }
      }
    });
    NF_CHECK(!bad_index, "max_pool2d_backward: an index lies outside the ", d.H, "x", d.W,
             " input plane (indices must come from max_pool2d on input ",
             shape_str(grad_x.shape()), ")");
  });
}

// Average pooling is separable: a window sum is a sum over rows of sums over
// columns. Each plane goes through a row buffer [H, OW] of horizontal window
// sums, then vertical sums of its rows, so the inner loops run over contiguous
// output columns (vectorised for stride 1) instead of over 3x3 windows one
// output at a time. The backward pass is the same two steps transposed.
namespace {

// The output columns [lo, hi) whose windows lie wholly inside the input; only
// they take the branch-free inner loops.
Window interior(int64_t out, int64_t stride, int64_t pad, int64_t kernel, int64_t in) {
  const int64_t lo = std::min(out, (pad + stride - 1) / stride);
  int64_t hi = out;
  while (hi > lo && (hi - 1) * stride - pad + kernel > in) --hi;
  return {lo, std::max(lo, hi)};
}

// row[ow] = sum of x[iw] over the window of output column ow.
template <typename T>
void window_sums(const T* x, T* row, int64_t W, int64_t OW, const PoolParams& p, const Window& inner) {
  auto edge = [&](int64_t ow) {
    const Window ww = window(ow, p.stride_w, p.pad_w, p.kernel_w, W);
    T s = 0;
    for (int64_t iw = ww.lo; iw < ww.hi; ++iw) s += x[iw];
    row[ow] = s;
  };
  for (int64_t ow = 0; ow < inner.lo; ++ow) edge(ow);
  for (int64_t ow = inner.hi; ow < OW; ++ow) edge(ow);
  std::fill(row + inner.lo, row + inner.hi, T(0));
  for (int64_t k = 0; k < p.kernel_w; ++k) {
    const T* xs = x + k - p.pad_w;
    if (p.stride_w == 1)
      for (int64_t ow = inner.lo; ow < inner.hi; ++ow) row[ow] += xs[ow];
    else
      for (int64_t ow = inner.lo; ow < inner.hi; ++ow) row[ow] += xs[ow * p.stride_w];
  }
}

// gx[iw] += row[ow] for every iw in the window of output column ow.
template <typename T>
void scatter_window_sums(const T* row, T* gx, int64_t W, int64_t OW, const PoolParams& p, const Window& inner) {
  auto edge = [&](int64_t ow) {
    const Window ww = window(ow, p.stride_w, p.pad_w, p.kernel_w, W);
    for (int64_t iw = ww.lo; iw < ww.hi; ++iw) gx[iw] += row[ow];
  };
  for (int64_t ow = 0; ow < inner.lo; ++ow) edge(ow);
  for (int64_t ow = inner.hi; ow < OW; ++ow) edge(ow);
  for (int64_t k = 0; k < p.kernel_w; ++k) {
    T* gs = gx + k - p.pad_w;
    if (p.stride_w == 1)
      for (int64_t ow = inner.lo; ow < inner.hi; ++ow) gs[ow] += row[ow];
    else
      for (int64_t ow = inner.lo; ow < inner.hi; ++ow) gs[ow * p.stride_w] += row[ow];
  }
}

// Number of input columns under output column ow's window (padding excluded).
std::vector<int64_t> window_counts(int64_t OW, int64_t stride, int64_t pad, int64_t kernel, int64_t W) {
  std::vector<int64_t> c(static_cast<size_t>(OW));
  for (int64_t ow = 0; ow < OW; ++ow) c[size_t(ow)] = window(ow, stride, pad, kernel, W).size();
  return c;
}

}  // namespace

void CpuBackend::avg_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out) {
  const PoolDims d = pool_dims(x, out, "avg_pool2d");
  const Window inner = interior(d.OW, p.stride_w, p.pad_w, p.kernel_w, d.W);
  const std::vector<int64_t> col_count = window_counts(d.OW, p.stride_w, p.pad_w, p.kernel_w, d.W);
  dispatch_floating(x.dtype(), "avg_pool2d", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* po = out.data<T>();
    parallel_for(0, d.planes, plane_grain(d.OH * d.OW * p.kernel_h * p.kernel_w), [&](int64_t lo, int64_t hi) {
      T* rows = padded_plane_scratch<T>(size_t(d.H * d.OW));  // horizontal window sums of one plane
      for (int64_t plane = lo; plane < hi; ++plane) {
        const T* xp = px + plane * d.H * d.W;
        for (int64_t ih = 0; ih < d.H; ++ih) window_sums(xp + ih * d.W, rows + ih * d.OW, d.W, d.OW, p, inner);
        for (int64_t oh = 0; oh < d.OH; ++oh) {
          const Window wh = window(oh, p.stride_h, p.pad_h, p.kernel_h, d.H);
          T* o = po + (plane * d.OH + oh) * d.OW;
          std::fill(o, o + d.OW, T(0));
          for (int64_t ih = wh.lo; ih < wh.hi; ++ih) {
            const T* r = rows + ih * d.OW;
            for (int64_t ow = 0; ow < d.OW; ++ow) o[ow] += r[ow];
          }
          for (int64_t ow = 0; ow < d.OW; ++ow) {
            const int64_t count = wh.size() * col_count[size_t(ow)];
            o[ow] = count > 0 ? o[ow] / T(count) : T(0);
          }
        }
      }
    });
  });
}

void CpuBackend::avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, Tensor& grad_x) {
  const PoolDims d = pool_dims(grad_x, grad_out, "avg_pool2d_backward");
  const Window inner = interior(d.OW, p.stride_w, p.pad_w, p.kernel_w, d.W);
  const std::vector<int64_t> col_count = window_counts(d.OW, p.stride_w, p.pad_w, p.kernel_w, d.W);
  dispatch_floating(grad_out.dtype(), "avg_pool2d_backward", [&](auto tag) {
    using T = decltype(tag);
    const T* pg = grad_out.data<T>();
    T* px = grad_x.data<T>();
    parallel_for(0, d.planes, plane_grain(d.OH * d.OW * p.kernel_h * p.kernel_w), [&](int64_t lo, int64_t hi) {
      T* rows = padded_plane_scratch<T>(size_t((d.H + 1) * d.OW));  // [H, OW] sums, then [OW] scaled grads
      T* scaled = rows + d.H * d.OW;
      for (int64_t plane = lo; plane < hi; ++plane) {
        // Vertical step: rows[ih] = sum of grad/count over the output rows whose window covers ih.
        std::fill(rows, rows + d.H * d.OW, T(0));
        for (int64_t oh = 0; oh < d.OH; ++oh) {
          const Window wh = window(oh, p.stride_h, p.pad_h, p.kernel_h, d.H);
          const T* g = pg + (plane * d.OH + oh) * d.OW;
          for (int64_t ow = 0; ow < d.OW; ++ow) {
            const int64_t count = wh.size() * col_count[size_t(ow)];
            scaled[ow] = count > 0 ? g[ow] / T(count) : T(0);
          }
          for (int64_t ih = wh.lo; ih < wh.hi; ++ih) {
            T* r = rows + ih * d.OW;
            for (int64_t ow = 0; ow < d.OW; ++ow) r[ow] += scaled[ow];
          }
        }
        // Horizontal step: spread each row's sums over their windows' columns.
        T* gx = px + plane * d.H * d.W;
        std::fill(gx, gx + d.H * d.W, T(0));
        for (int64_t ih = 0; ih < d.H; ++ih)
          scatter_window_sums(rows + ih * d.OW, gx + ih * d.W, d.W, d.OW, p, inner);
      }
    });
  });
}

}  // namespace nf::cpu
