// Depthwise convolution, direct (see depthwise.h).
//
// Each thread first copies the planes it reads into zero-padded scratch, so
// the hot loops have no bounds checks, no tails and only contiguous loads:
//  - the input plane, padded and split by column phase modulo the stride:
//      phase[f][r][u] = x[r - ph][f + sw*u - pw]   (0 outside x)
//    kernel column kw then reads output column ow at phase[f_kw][r][ow + m_kw]
//    with kw*dw = f_kw + sw*m_kw, whatever the stride;
//  - for the input gradient, grad_out rows shifted right and padded with zeros.
// Outputs are produced in register blocks (1-2 vectors of columns x 1-4 rows)
// that sum every kernel tap before a single store. At stride 1 the input
// gradient is the forward pass of grad_out with the flipped kernel; the weight
// gradient accumulates per-lane sums of up to 8 taps per pass over grad_out.
// Parallel over whole planes or channels, each summed in a fixed order, so
// results do not depend on the thread count.
#include "tensor/cpu/depthwise.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "tensor/cpu/parallel.h"
#include "tensor/cpu/scratch.h"
#include "tensor/cpu/vec.h"

namespace nf::cpu {
namespace {

// Vectors: vec.h.
template <typename T>
Vec<T> vload(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void vstore(T* p, const typename VecType<T>::type& v) {  // T from p only
  std::memcpy(p, &v, sizeof v);
}

// Output columns per register block: two vectors.
template <typename T>
constexpr int64_t kBlock = 2 * kLanes<T>;

int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }
int64_t ceil_div_nonneg(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

// Where kernel column kw reads in the phase-split input: kw*dw = phase + sw*shift.
struct Tap {
  int64_t phase, shift;
};

// Sizes of the per-thread scratch, shared by the three kernels.
template <typename T>
struct DepthwiseLayout {
  const ConvGeometry& g;
  std::vector<Tap> taps;  // per kernel column
  int64_t max_shift = 0;
  int64_t rows;           // padded input rows, H + 2*ph
  int64_t cols;           // length of one phase row: OW rounded up to kBlock, + max_shift
  // Per tap kh*KW + kw: where output (oh, ow) reads the phase planes, minus oh*sh*cols + ow.
  std::vector<int64_t> tap_offset;
  // Kernel columns grouped by phase: those of phase f are
  // kw_by_phase[phase_begin[f] .. phase_begin[f+1]).
  std::vector<int64_t> kw_by_phase, phase_begin;

  explicit DepthwiseLayout(const ConvGeometry& geo) : g(geo), taps(geo.KW) {
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      taps[kw] = {kw * g.dw % g.sw, kw * g.dw / g.sw};
      max_shift = std::max(max_shift, taps[kw].shift);
    }
    rows = g.H + 2 * g.ph;
    cols = round_up(g.OW, kBlock<T>) + max_shift;
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw)
        tap_offset.push_back((taps[kw].phase * rows + kh * g.dh) * cols + taps[kw].shift);
    for (int64_t f = 0; f < g.sw; ++f) {
      phase_begin.push_back(static_cast<int64_t>(kw_by_phase.size()));
      for (int64_t kw = 0; kw < g.KW; ++kw)
        if (taps[kw].phase == f) kw_by_phase.push_back(kw);
    }
    phase_begin.push_back(static_cast<int64_t>(kw_by_phase.size()));
  }
  int64_t plane_size() const { return g.sw * rows * cols; }
  // The phase planes as read by output row oh (add tap_offset[tap] + ow).
  const T* row_base(const T* planes, int64_t oh) const { return planes + oh * g.sh * cols; }

  // One input plane [H, W] -> its padded phase planes. The zeros sit at the
  // same places for every plane of a geometry, so after one full build into a
  // buffer, later planes may pass interior_only to copy just the values of x.
  void build_planes(const T* x, T* planes, bool interior_only = false) const {
    for (int64_t f = 0; f < g.sw; ++f) {
      // phase columns u in [u_lo, u_hi) hold x columns iw = f + sw*u - pw
      const int64_t u_lo = std::min(cols, ceil_div_nonneg(g.pw - f, g.sw));
      const int64_t u_hi = std::clamp(ceil_div_nonneg(g.pw + g.W - f, g.sw), u_lo, cols);
      for (int64_t r = 0; r < rows; ++r) {
        T* dst = planes + (f * rows + r) * cols;
        const int64_t ih = r - g.ph;
        if (ih < 0 || ih >= g.H) {
          if (!interior_only) std::fill(dst, dst + cols, T(0));
          continue;
        }
        const T* src = x + ih * g.W + f + g.sw * u_lo - g.pw;
        if (!interior_only) std::fill(dst, dst + u_lo, T(0));
        if (g.sw == 1)
          std::copy(src, src + (u_hi - u_lo), dst + u_lo);
        else
          for (int64_t u = 0; u < u_hi - u_lo; ++u) dst[u_lo + u] = src[u * g.sw];
        if (!interior_only) std::fill(dst + u_hi, dst + cols, T(0));
      }
    }
  }
};

// Copies rows [OH, OW] of src into rows of `width`, starting at column `left`,
// zero elsewhere.
template <typename T>
void pad_rows(const T* src, int64_t OH, int64_t OW, int64_t left, int64_t width, T* dst) {
  for (int64_t oh = 0; oh < OH; ++oh, dst += width) {
    std::fill(dst, dst + left, T(0));
    std::copy(src + oh * OW, src + (oh + 1) * OW, dst + left);
    std::fill(dst + left + OW, dst + width, T(0));
  }
}

// Stores the first n (<= kBlock) lanes of (a0, a1) at dst[v * stride].
template <typename T>
void store_block(const Vec<T>& a0, const Vec<T>& a1, int64_t n, T* dst, int64_t stride) {
  if (n == kBlock<T> && stride == 1) {
    vstore(dst, a0);
    vstore(dst + kLanes<T>, a1);
    return;
  }
  alignas(32) T lanes[kBlock<T>];
  vstore(lanes, a0);
  vstore(lanes + kLanes<T>, a1);
  for (int64_t v = 0; v < n; ++v) dst[v * stride] = lanes[v];
}

// Items per parallel chunk for `work` multiply-adds per item.
int64_t item_grain(int64_t work) {
  return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, work));
}

}  // namespace

namespace {

// Forward register block: R output rows x NV vectors of columns starting at
// (oh, ow0), every tap summed before one store. Even and odd taps sum apart,
// so a block keeps 2*R*NV independent FMA chains (8 for the shapes used), and
// each weight broadcast serves R*NV vectors.
template <typename T, int NV, int R>
void forward_block(const DepthwiseLayout<T>& L, const T* planes, const T* wp, T bias, int64_t oh, int64_t ow0,
                   T* op) {
  constexpr int64_t V = kLanes<T>;
  const ConvGeometry& g = L.g;
  const int64_t taps = g.KH * g.KW, row_step = g.sh * L.cols;
  const T* base = L.row_base(planes, oh) + ow0;
  Vec<T> a[R][NV], c[R][NV];
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < NV; ++k) a[r][k] = Vec<T>{} + bias, c[r][k] = Vec<T>{};
  const int64_t* off = L.tap_offset.data();
  int64_t t = 0;
  for (; t + 1 < taps; t += 2) {
    const T w0 = wp[t], w1 = wp[t + 1];
    const T *s0 = base + off[t], *s1 = base + off[t + 1];
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < NV; ++k) {
        a[r][k] += w0 * vload(s0 + r * row_step + k * V);
        c[r][k] += w1 * vload(s1 + r * row_step + k * V);
      }
  }
  if (t < taps) {
    const T w0 = wp[t];
    const T* s0 = base + off[t];
    for (int r = 0; r < R; ++r)
      for (int k = 0; k < NV; ++k) a[r][k] += w0 * vload(s0 + r * row_step + k * V);
  }
  const int64_t n = std::min<int64_t>(NV * V, g.OW - ow0);
  for (int r = 0; r < R; ++r) {
    T* dst = op + (oh + r) * g.OW + ow0;
    if (n == NV * V) {
      for (int k = 0; k < NV; ++k) vstore(dst + k * V, a[r][k] + c[r][k]);
      continue;
    }
    alignas(32) T lanes[NV * V];
    for (int k = 0; k < NV; ++k) vstore(lanes + k * V, a[r][k] + c[r][k]);
    std::copy(lanes, lanes + n, dst);
  }
}

// One output plane [OH, OW] from the phase planes: blocks of 4 rows x 1 vector
// when a row fits one vector (7x7, 14x14 in f64), else 2 rows x 2 vectors;
// leftover rows one at a time.
template <typename T>
void forward_plane(const DepthwiseLayout<T>& L, const T* planes, const T* wp, T bias, T* op) {
  constexpr int64_t V = kLanes<T>;
  const ConvGeometry& g = L.g;
  if (g.OW <= V) {
    int64_t oh = 0;
    for (; oh + 4 <= g.OH; oh += 4) forward_block<T, 1, 4>(L, planes, wp, bias, oh, 0, op);
    for (; oh < g.OH; ++oh) forward_block<T, 1, 1>(L, planes, wp, bias, oh, 0, op);
    return;
  }
  int64_t oh = 0;
  for (; oh + 2 <= g.OH; oh += 2)
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 2 * V) forward_block<T, 2, 2>(L, planes, wp, bias, oh, ow0, op);
  for (; oh < g.OH; ++oh)
    for (int64_t ow0 = 0; ow0 < g.OW; ow0 += 2 * V) forward_block<T, 2, 1>(L, planes, wp, bias, oh, ow0, op);
}

}  // namespace

template <typename T>
void depthwise_forward(const ConvGeometry& g, int64_t N, int64_t mult, const T* x, const T* w,
                       const T* bias, T* out) {
  const DepthwiseLayout<T> L(g);
  const int64_t O = g.C * mult, P = g.OH * g.OW, taps = g.KH * g.KW;
  parallel_for(0, N * g.C, item_grain(mult * P * taps), [&](int64_t lo, int64_t hi) {
    T* planes = thread_scratch<T>(ScratchSlot::dw_input, L.plane_size());
    for (int64_t plane = lo; plane < hi; ++plane) {  // plane = n*C + c
      const int64_t n = plane / g.C, c = plane % g.C;
      L.build_planes(x + plane * g.H * g.W, planes, plane > lo);
      for (int64_t oc = c * mult; oc < (c + 1) * mult; ++oc)
        forward_plane<T>(L, planes, w + oc * taps, bias ? bias[oc] : T(0), out + (n * O + oc) * P);
    }
  });
}

// In padded coordinates, output (oh, ow) met input (oh*sh + kh*dh, ow*sw + kw*dw),
// so input column q = phase + sw*t gathers, from every kernel column kw of that
// phase, grad_out column ow = t - shift_kw. grad_out rows are stored shifted
// right by max_shift so that every such read is in bounds (zeros outside).
template <typename T>
void depthwise_backward_input(const ConvGeometry& g, int64_t N, int64_t mult, const T* grad_out,
                              const T* w, T* grad_x) {
  // Stride 1, one output per channel: grad_x is the forward correlation of
  // grad_out [OH,OW] with the flipped kernel, padded by dilation*(K-1) - pad,
  // which comes out [H,W] and runs the forward's register-blocked loops.
  if (g.sh == 1 && g.sw == 1 && mult == 1 && g.ph <= g.dh * (g.KH - 1) && g.pw <= g.dw * (g.KW - 1)) {
    ConvParams p;
    p.stride_h = p.stride_w = 1;
    p.pad_h = g.dh * (g.KH - 1) - g.ph;
    p.pad_w = g.dw * (g.KW - 1) - g.pw;
    p.dilation_h = g.dh;
    p.dilation_w = g.dw;
    const ConvGeometry flipped(g.C, g.OH, g.OW, g.KH, g.KW, g.H, g.W, p);
    const int64_t taps = g.KH * g.KW;
    // The calling thread's accumulator slot is free: depthwise_forward does not use it.
    T* wf = thread_scratch<T>(ScratchSlot::dw_accum, g.C * taps);  // [C, KH, KW] flipped
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t t = 0; t < taps; ++t) wf[c * taps + t] = w[c * taps + taps - 1 - t];
    depthwise_forward<T>(flipped, N, 1, grad_out, wf, nullptr, grad_x);
    return;
  }
  constexpr int64_t B = kBlock<T>;
  const DepthwiseLayout<T> L(g);
  const int64_t O = g.C * mult, P = g.OH * g.OW, left = L.max_shift;
  const int64_t t_max = ceil_div_nonneg(g.pw + g.W, g.sw);  // t bound over all phases
  const int64_t width = left + std::max(g.OW, t_max) + B;
  parallel_for(0, N * g.C, item_grain(mult * P * g.KH * g.KW), [&](int64_t lo, int64_t hi) {
    T* rows = thread_scratch<T>(ScratchSlot::dw_grad, mult * g.OH * width);
    for (int64_t plane = lo; plane < hi; ++plane) {  // plane = n*C + c
      const int64_t n = plane / g.C, c = plane % g.C;
      for (int64_t j = 0; j < mult; ++j)
        pad_rows(grad_out + (n * O + c * mult + j) * P, g.OH, g.OW, left, width,
                 rows + j * g.OH * width);
      T* gx = grad_x + plane * g.H * g.W;
      for (int64_t ih = 0; ih < g.H; ++ih) {
        const int64_t r = ih + g.ph;
        for (int64_t f = 0; f < g.sw; ++f) {
          // input columns iw = f + sw*t - pw for t in [t_lo, t_hi)
          const int64_t t_lo = ceil_div_nonneg(g.pw - f, g.sw), t_hi = ceil_div_nonneg(g.pw + g.W - f, g.sw);
          for (int64_t t0 = t_lo; t0 < t_hi; t0 += B) {
            // Alternate kernel columns sum apart: four independent FMA chains.
            Vec<T> a0 = {}, a1 = {}, c0 = {}, c1 = {};
            const int64_t k_lo = L.phase_begin[f], k_hi = L.phase_begin[f + 1];
            for (int64_t j = 0; j < mult; ++j) {
              const T* wp = w + (c * mult + j) * g.KH * g.KW;
              for (int64_t kh = 0; kh < g.KH; ++kh) {
                const int64_t d = r - kh * g.dh;  // = oh*sh
                if (d < 0) break;
                if (d % g.sh != 0 || d / g.sh >= g.OH) continue;
                const T* go = rows + (j * g.OH + d / g.sh) * width + left + t0;
                const T* wr = wp + kh * g.KW;
                int64_t k = k_lo;
                for (; k + 1 < k_hi; k += 2) {
                  const int64_t kw0 = L.kw_by_phase[k], kw1 = L.kw_by_phase[k + 1];
                  const T *s0 = go - L.taps[kw0].shift, *s1 = go - L.taps[kw1].shift;
                  a0 += wr[kw0] * vload(s0);
                  a1 += wr[kw0] * vload(s0 + kLanes<T>);
                  c0 += wr[kw1] * vload(s1);
                  c1 += wr[kw1] * vload(s1 + kLanes<T>);
                }
                if (k < k_hi) {
                  const int64_t kw0 = L.kw_by_phase[k];
                  const T* s0 = go - L.taps[kw0].shift;
                  a0 += wr[kw0] * vload(s0);
                  a1 += wr[kw0] * vload(s0 + kLanes<T>);
                }
              }
            }
            store_block<T>(a0 + c0, a1 + c1, std::min(B, t_hi - t0),
                           gx + ih * g.W + f + g.sw * t0 - g.pw, g.sw);
          }
        }
      }
    }
  });
}

namespace {

// Lane masks, as GCC vector conditions want them: integers of T's width.
template <typename T>
using Mask [[gnu::vector_size(32)]] = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;

// acc[t][lane] += sum over output rows oh and vectors v of
//   gpad[oh][v] * (phase planes at tap `off[t]`, row oh, vector v)
// for NT taps at once (NT independent FMA chains). gpad rows hold nvec
// vectors, zero past OW; the last vector's products are masked by `tail`
// because the input lanes past OW are real (possibly inf) values no output
// reads, and 0 * inf would be NaN.
template <typename T, int NT>
void weight_taps(const DepthwiseLayout<T>& L, const T* planes, const T* gpad, int64_t nvec,
                 const Mask<T>& tail, const int64_t* off, T* acc) {
  constexpr int64_t V = kLanes<T>;
  Vec<T> a[NT];
  for (int t = 0; t < NT; ++t) a[t] = vload(acc + t * V);
  for (int64_t oh = 0; oh < L.g.OH; ++oh) {
    const T* src = L.row_base(planes, oh);
    const T* gr = gpad + oh * nvec * V;
    int64_t v = 0;
    for (; v + 1 < nvec; ++v) {
      const Vec<T> gv = vload(gr + v * V);
      for (int t = 0; t < NT; ++t) a[t] += gv * vload(src + off[t] + v * V);
    }
    const Vec<T> gv = vload(gr + v * V);
    for (int t = 0; t < NT; ++t) {
      const Vec<T> p = gv * vload(src + off[t] + v * V);
      a[t] += tail ? p : Vec<T>{};
    }
  }
  for (int t = 0; t < NT; ++t) vstore(acc + t * V, a[t]);
}

template <typename T>
void weight_taps_n(int nt, const DepthwiseLayout<T>& L, const T* planes, const T* gpad, int64_t nvec,
                   const Mask<T>& tail, const int64_t* off, T* acc) {
  switch (nt) {
    case 1: return weight_taps<T, 1>(L, planes, gpad, nvec, tail, off, acc);
    case 2: return weight_taps<T, 2>(L, planes, gpad, nvec, tail, off, acc);
    case 3: return weight_taps<T, 3>(L, planes, gpad, nvec, tail, off, acc);
    case 4: return weight_taps<T, 4>(L, planes, gpad, nvec, tail, off, acc);
    case 5: return weight_taps<T, 5>(L, planes, gpad, nvec, tail, off, acc);
    case 6: return weight_taps<T, 6>(L, planes, gpad, nvec, tail, off, acc);
    case 7: return weight_taps<T, 7>(L, planes, gpad, nvec, tail, off, acc);
    default: return weight_taps<T, 8>(L, planes, gpad, nvec, tail, off, acc);
  }
}

}  // namespace

// Parallel over channels: each channel's taps are summed by one thread, over
// images, rows and lanes in a fixed order, so the result does not depend on the
// thread count. Taps go in balanced groups of at most 8 (9 -> 5+4, 25 -> 7+6+6+6)
// that share each grad_out load.
template <typename T>
void depthwise_backward_weight(const ConvGeometry& g, int64_t N, int64_t mult, const T* grad_out,
                               const T* x, T* grad_w) {
  constexpr int64_t V = kLanes<T>;
  const DepthwiseLayout<T> L(g);
  const int64_t O = g.C * mult, P = g.OH * g.OW, taps = g.KH * g.KW;
  const int64_t nvec = std::max<int64_t>(1, ceil_div_nonneg(g.OW, V));
  const int64_t groups = (taps + 7) / 8, group = (taps + groups - 1) / groups;
  Mask<T> tail;
  for (int64_t v = 0; v < V; ++v) tail[v] = (nvec - 1) * V + v < g.OW ? -1 : 0;
  parallel_for(0, g.C, item_grain(N * mult * P * taps), [&](int64_t lo, int64_t hi) {
    T* planes = thread_scratch<T>(ScratchSlot::dw_input, L.plane_size());
    T* gpad = thread_scratch<T>(ScratchSlot::dw_grad, g.OH * nvec * V);
    T* acc = thread_scratch<T>(ScratchSlot::dw_accum, mult * taps * V);  // [j][tap][lane]
    for (int64_t c = lo; c < hi; ++c) {
      std::fill(acc, acc + mult * taps * V, T(0));
      for (int64_t n = 0; n < N; ++n) {
        L.build_planes(x + (n * g.C + c) * g.H * g.W, planes, c > lo || n > 0);
        for (int64_t j = 0; j < mult; ++j) {
          pad_rows(grad_out + (n * O + c * mult + j) * P, g.OH, g.OW, 0, nvec * V, gpad);
          for (int64_t t0 = 0; t0 < taps; t0 += group) {
            const int nt = static_cast<int>(std::min(group, taps - t0));
            weight_taps_n<T>(nt, L, planes, gpad, nvec, tail, L.tap_offset.data() + t0,
                             acc + (j * taps + t0) * V);
          }
        }
      }
      for (int64_t j = 0; j < mult; ++j)
        for (int64_t tap = 0; tap < taps; ++tap) {
          double s = 0;
          for (int64_t v = 0; v < V; ++v) s += acc[(j * taps + tap) * V + v];
          grad_w[(c * mult + j) * taps + tap] = static_cast<T>(s);
        }
    }
  });
}

#define NF_DEPTHWISE_INSTANTIATE(T)                                                               \
  template void depthwise_forward<T>(const ConvGeometry&, int64_t, int64_t, const T*, const T*,   \
                                     const T*, T*);                                               \
  template void depthwise_backward_input<T>(const ConvGeometry&, int64_t, int64_t, const T*,      \
                                            const T*, T*);                                        \
  template void depthwise_backward_weight<T>(const ConvGeometry&, int64_t, int64_t, const T*,     \
                                             const T*, T*);
NF_DEPTHWISE_INSTANTIATE(float)
NF_DEPTHWISE_INSTANTIATE(double)
#undef NF_DEPTHWISE_INSTANTIATE

}  // namespace nf::cpu
