// Depthwise convolution, direct (see depthwise.h).
//
// Each thread first copies the planes it reads into zero-padded scratch, so
// the hot loops have no bounds checks, no tails and only contiguous loads:
//  - the input plane, padded and split by column phase modulo the stride:
//      phase[f][r][u] = x[r - ph][f + sw*u - pw]   (0 outside x)
//    kernel column kw then reads output column ow at phase[f_kw][r][ow + m_kw]
//    with kw*dw = f_kw + sw*m_kw, whatever the stride;
//  - for the input gradient, grad_out rows shifted right and padded with zeros.
// Outputs are produced in register blocks of kBlock columns that sum every
// kernel tap before a single store. Parallel over whole planes or channels,
// each summed in a fixed order, so results do not depend on the thread count.
#include "tensor/cpu/depthwise.h"

#include <algorithm>
#include <vector>

#include "tensor/cpu/parallel.h"
#include "tensor/cpu/scratch.h"

namespace nf::cpu {
namespace {

// 256-bit vectors through GCC/Clang vector extensions (lowered to narrower
// registers when the target has no AVX); VecU is the unaligned, aliasing view
// of memory used for loads and stores.
template <typename T>
using Vec [[gnu::vector_size(32)]] = T;
template <typename T>
using VecU [[gnu::vector_size(32), gnu::may_alias, gnu::aligned(alignof(T))]] = T;
template <typename T>
constexpr int64_t kLanes = 32 / static_cast<int64_t>(sizeof(T));
template <typename T>
const VecU<T>& vload(const T* p) { return *reinterpret_cast<const VecU<T>*>(p); }
template <typename T>
VecU<T>& vstore(T* p) { return *reinterpret_cast<VecU<T>*>(p); }

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

  // One input plane [H, W] -> its padded phase planes.
  void build_planes(const T* x, T* planes) const {
    for (int64_t f = 0; f < g.sw; ++f) {
      // phase columns u in [u_lo, u_hi) hold x columns iw = f + sw*u - pw
      const int64_t u_lo = std::min(cols, ceil_div_nonneg(g.pw - f, g.sw));
      const int64_t u_hi = std::clamp(ceil_div_nonneg(g.pw + g.W - f, g.sw), u_lo, cols);
      for (int64_t r = 0; r < rows; ++r) {
        T* dst = planes + (f * rows + r) * cols;
        const int64_t ih = r - g.ph;
        if (ih < 0 || ih >= g.H) {
          std::fill(dst, dst + cols, T(0));
          continue;
        }
        const T* src = x + ih * g.W + f + g.sw * u_lo - g.pw;
        std::fill(dst, dst + u_lo, T(0));
        if (g.sw == 1)
          std::copy(src, src + (u_hi - u_lo), dst + u_lo);
        else
          for (int64_t u = 0; u < u_hi - u_lo; ++u) dst[u_lo + u] = src[u * g.sw];
        std::fill(dst + u_hi, dst + cols, T(0));
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
    vstore(dst) = a0;
    vstore(dst + kLanes<T>) = a1;
    return;
  }
  alignas(32) T lanes[kBlock<T>];
  vstore(lanes) = a0;
  vstore(lanes + kLanes<T>) = a1;
  for (int64_t v = 0; v < n; ++v) dst[v * stride] = lanes[v];
}

// Items per parallel chunk for `work` multiply-adds per item.
int64_t item_grain(int64_t work) {
  return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, work));
}

}  // namespace

template <typename T>
void depthwise_forward(const ConvGeometry& g, int64_t N, int64_t mult, const T* x, const T* w,
                       const T* bias, T* out) {
  constexpr int64_t B = kBlock<T>;
  const DepthwiseLayout<T> L(g);
  const int64_t O = g.C * mult, P = g.OH * g.OW, taps = g.KH * g.KW;
  parallel_for(0, N * g.C, item_grain(mult * P * taps), [&](int64_t lo, int64_t hi) {
    T* planes = thread_scratch<T>(ScratchSlot::dw_input, L.plane_size());
    for (int64_t plane = lo; plane < hi; ++plane) {  // plane = n*C + c
      const int64_t n = plane / g.C, c = plane % g.C;
      L.build_planes(x + plane * g.H * g.W, planes);
      for (int64_t oc = c * mult; oc < (c + 1) * mult; ++oc) {
        const T* wp = w + oc * taps;
        T* op = out + (n * O + oc) * P;
        for (int64_t oh = 0; oh < g.OH; ++oh)
          for (int64_t ow0 = 0; ow0 < g.OW; ow0 += B) {
            // Even and odd taps sum apart: four independent FMA chains.
            Vec<T> a0 = Vec<T>{} + (bias ? bias[oc] : T(0)), a1 = a0, c0 = {}, c1 = {};
            const T* base = L.row_base(planes, oh) + ow0;
            int64_t t = 0;
            for (; t + 1 < taps; t += 2) {
              const T *s0 = base + L.tap_offset[t], *s1 = base + L.tap_offset[t + 1];
              a0 += wp[t] * vload(s0);
              a1 += wp[t] * vload(s0 + kLanes<T>);
              c0 += wp[t + 1] * vload(s1);
              c1 += wp[t + 1] * vload(s1 + kLanes<T>);
            }
            if (t < taps) {
              const T* s0 = base + L.tap_offset[t];
              a0 += wp[t] * vload(s0);
              a1 += wp[t] * vload(s0 + kLanes<T>);
            }
            store_block<T>(a0 + c0, a1 + c1, std::min(B, g.OW - ow0), op + oh * g.OW + ow0, 1);
          }
      }
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

template <typename T>
void depthwise_backward_weight(const ConvGeometry& g, int64_t N, int64_t mult, const T* grad_out,
                               const T* x, T* grad_w) {
  constexpr int64_t B = kBlock<T>;
  const DepthwiseLayout<T> L(g);
  const int64_t O = g.C * mult, P = g.OH * g.OW, taps = g.KH * g.KW;
  parallel_for(0, g.C, item_grain(N * mult * P * taps), [&](int64_t lo, int64_t hi) {
    T* planes = thread_scratch<T>(ScratchSlot::dw_input, L.plane_size());
    // acc[j][tap][lane]: per-lane partial sums over images, rows and columns.
    const int64_t row = B + kLanes<T>;
    // Only columns < OW are summed: lanes past it would multiply input values
    // that no output reaches (possibly inf) by zero.
    const int64_t full = g.OW / kLanes<T> * kLanes<T>;
    T* acc = thread_scratch<T>(ScratchSlot::dw_accum, mult * taps * row);
    for (int64_t c = lo; c < hi; ++c) {
      std::fill(acc, acc + mult * taps * row, T(0));
      for (int64_t n = 0; n < N; ++n) {
        L.build_planes(x + (n * g.C + c) * g.H * g.W, planes);
        for (int64_t j = 0; j < mult; ++j) {
          const T* go = grad_out + (n * O + c * mult + j) * P;
          for (int64_t tap = 0; tap < taps; ++tap) {
            // acc row: lanes [0, B) of the two vector sums, then the scalar tail.
            T* a_mem = acc + (j * taps + tap) * row;
            // Even rows into (a0, a1), odd rows into (c0, c1): four FMA chains.
            Vec<T> a0 = vload(a_mem), a1 = vload(a_mem + kLanes<T>), c0 = {}, c1 = {};
            auto add_row = [&](int64_t oh, Vec<T>& x0, Vec<T>& x1) {
              const T* src = L.row_base(planes, oh) + L.tap_offset[tap];
              const T* gr = go + oh * g.OW;
              int64_t ow0 = 0;
              for (; ow0 + B <= full; ow0 += B) {
                x0 += vload(gr + ow0) * vload(src + ow0);
                x1 += vload(gr + ow0 + kLanes<T>) * vload(src + ow0 + kLanes<T>);
              }
              if (ow0 < full) x0 += vload(gr + ow0) * vload(src + ow0);
              for (int64_t ow = full; ow < g.OW; ++ow) a_mem[B + ow - full] += gr[ow] * src[ow];
            };
            int64_t oh = 0;
            for (; oh + 1 < g.OH; oh += 2) {
              add_row(oh, a0, a1);
              add_row(oh + 1, c0, c1);
            }
            if (oh < g.OH) add_row(oh, a0, a1);
            vstore(a_mem) = a0 + c0;
            vstore(a_mem + kLanes<T>) = a1 + c1;
          }
        }
      }
      for (int64_t j = 0; j < mult; ++j)
        for (int64_t tap = 0; tap < taps; ++tap) {
          double s = 0;
          for (int64_t v = 0; v < row; ++v) s += acc[(j * taps + tap) * row + v];
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
