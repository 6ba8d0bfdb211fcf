// Direct weight gradient of a stride-1 convolution (see conv_weight_grad.h).
//
// With k = (c*KH + kh)*KW + kw and p = oh*OW + ow, grad_w^T [K, Og] is a sum
// of outer products over p: the grad_out column go[:, p] times the taps
// x[k-th tap at p]. Per image the kernels read
//  - got [P, Opad]: grad_out transposed, output channels zero-padded to a
//    64-byte line (Opad lanes), so go[:, p] is one or two contiguous vectors;
//  - xp [C, H + 2ph, W + 2pw]: x with its zero padding written out, so tap k
//    at p is the scalar xp[tap_offset[k] + oh*Wp + ow], never out of bounds.
// A register tile holds Opad lanes x a few taps of grad_w^T: per position it
// loads the grad_out vectors once, broadcasts each tap once, and does one
// FMA per (vector, tap), with no horizontal sums and no row tails.
//
// Work items are (batch part, range of taps); each part sums its images in
// order into its own [K, Opad] buffer, and the parts are added in order at
// the end. The number of parts depends on the shapes only and every element
// is summed in the same order whatever the tiling, so the result does not
// depend on the thread count.
#include "tensor/cpu/conv_weight_grad.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "tensor/cpu/gemm_microkernel.h"
#include "tensor/cpu/parallel.h"
#include "tensor/cpu/scratch.h"
#include "tensor/cpu/transpose.h"
#include "tensor/cpu/vec.h"
#include "tensor/error.h"

#ifdef NF_GEMM_X86
#include <immintrin.h>
#endif

namespace nf::cpu {
namespace {

constexpr int64_t kMaxParts = 8, kMaxPartialBytes = int64_t{64} << 20;
// Below this many multiply-adds in all, one thread does everything.
constexpr int64_t kParallelFlops = int64_t{1} << 18;
// Output-channel lanes per register tile: one 64-byte line (16 f32, 8 f64).
template <typename T>
constexpr int64_t kLine = 64 / static_cast<int64_t>(sizeof(T));
// Taps per register tile: AVX2 2 ymm x 6 taps = 12 accumulators + 2 grad_out
// vectors + 1 broadcast of 16 ymm; the portable tile uses 4 (8 vectors of sums).
constexpr int kTapsAvx2 = 6, kTapsPortable = 4;
// Positions per pass over all taps: their got rows (64 B each) stay in L1.
constexpr int64_t kChunkPositions = 128;

int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

// One image's operands, as the tiles read them.
template <typename T>
struct Image {
  const T* got;               // [P, opad]
  int64_t opad;
  const T* xp;                // padded planes of the item's channels
  int64_t wp;                 // xp row length
  int64_t ow;                 // OW
};

// sums[t * opad + j] += sum over oh in [oh0, oh1), ow < OW of
//   got[(oh*OW + ow)*opad + o0 + j] * xp[tap_offset[t] + oh*wp + ow]
// for the lanes j of the tile and its taps t (sums = the buffer at tap k0, lane o0).
template <typename T>
using TileFn = void (*)(const Image<T>& im, int64_t o0, const int64_t* tap_offset, int64_t oh0,
                        int64_t oh1, T* sums);

// Portable: 256-bit GCC/Clang vector extensions (vec.h), two vectors
// (kLine<T> lanes) x NT taps. Left to plain loops, GCC vectorises across
// positions instead and runs at a fraction of the speed.

// By reference: a 256-bit vector by value changes the ABI without AVX (-Wpsabi).
template <typename T>
void vload(Vec<T>& v, const T* p) {
  std::memcpy(&v, p, sizeof v);
}

template <typename T, int NT>
void tile_portable(const Image<T>& im, int64_t o0, const int64_t* tap_offset, int64_t oh0,
                   int64_t oh1, T* sums) {
  constexpr int64_t H = kLine<T> / 2;  // lanes per vector
  Vec<T> acc[2][NT];
  for (int t = 0; t < NT; ++t)
    for (int m = 0; m < 2; ++m) vload(acc[m][t], sums + t * im.opad + m * H);
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    const T* g = im.got + oh * im.ow * im.opad + o0;
    const T* xr[NT];
    for (int t = 0; t < NT; ++t) xr[t] = im.xp + tap_offset[t] + oh * im.wp;
    for (int64_t ow = 0; ow < im.ow; ++ow, g += im.opad) {
      Vec<T> g0, g1;
      vload(g0, g);
      vload(g1, g + H);
      for (int t = 0; t < NT; ++t) {
        const T b = xr[t][ow];
        acc[0][t] += g0 * b;
        acc[1][t] += g1 * b;
      }
    }
  }
  for (int t = 0; t < NT; ++t)
    for (int m = 0; m < 2; ++m) std::memcpy(sums + t * im.opad + m * H, &acc[m][t], sizeof(Vec<T>));
}

template <typename T, int... I>
constexpr std::array<TileFn<T>, sizeof...(I)> portable_tiles(std::integer_sequence<int, I...>) {
  return {&tile_portable<T, I + 1>...};
}

#ifdef NF_GEMM_X86
// AVX2+FMA, f32: MV ymm (8 lanes each) x NT taps of accumulators.
template <int MV, int NT>
__attribute__((target("avx2,fma"))) void tile_avx2(const Image<float>& im, int64_t o0,
                                                   const int64_t* tap_offset, int64_t oh0,
                                                   int64_t oh1, float* sums) {
  __m256 acc[MV][NT];
#pragma GCC unroll 6
  for (int t = 0; t < NT; ++t)
#pragma GCC unroll 2
    for (int m = 0; m < MV; ++m) acc[m][t] = _mm256_loadu_ps(sums + t * im.opad + 8 * m);
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    const float* g = im.got + oh * im.ow * im.opad + o0;
    const float* xr[NT];
#pragma GCC unroll 6
    for (int t = 0; t < NT; ++t) xr[t] = im.xp + tap_offset[t] + oh * im.wp;
    for (int64_t ow = 0; ow < im.ow; ++ow, g += im.opad) {
      __m256 gv[MV];
#pragma GCC unroll 2
      for (int m = 0; m < MV; ++m) gv[m] = _mm256_load_ps(g + 8 * m);
#pragma GCC unroll 6
      for (int t = 0; t < NT; ++t) {
        const __m256 b = _mm256_broadcast_ss(xr[t] + ow);
#pragma GCC unroll 2
        for (int m = 0; m < MV; ++m) acc[m][t] = _mm256_fmadd_ps(gv[m], b, acc[m][t]);
      }
    }
  }
#pragma GCC unroll 6
  for (int t = 0; t < NT; ++t)
#pragma GCC unroll 2
    for (int m = 0; m < MV; ++m) _mm256_storeu_ps(sums + t * im.opad + 8 * m, acc[m][t]);
}

template <int MV, int... I>
constexpr std::array<TileFn<float>, sizeof...(I)> avx2_tiles(std::integer_sequence<int, I...>) {
  return {&tile_avx2<MV, I + 1>...};
}
#endif

// The kernels of one ISA: tile(lanes, taps) for lanes <= kLine<T> valid
// output channels and 1 <= taps <= max_taps, and the transpose.
template <typename T>
struct Kernels {
  bool avx2;
  int max_taps;

  explicit Kernels(bool use_avx2)
      : avx2(use_avx2), max_taps(use_avx2 ? kTapsAvx2 : kTapsPortable) {}
  TileFn<T> tile(int64_t lanes, int taps) const {
#ifdef NF_GEMM_X86
    if constexpr (std::is_same_v<T, float>) {
      static constexpr auto one = avx2_tiles<1>(std::make_integer_sequence<int, kTapsAvx2>{});
      static constexpr auto two = avx2_tiles<2>(std::make_integer_sequence<int, kTapsAvx2>{});
      if (avx2) return lanes > 8 ? two[taps - 1] : one[taps - 1];
    }
#endif
    (void)lanes;
    static constexpr auto portable =
        portable_tiles<T>(std::make_integer_sequence<int, kTapsPortable>{});
    return portable[taps - 1];
  }
  // grad_out [Og, P] into got [P, opad] (lanes >= Og are left as they are,
  // zero), and the summed [K, opad] buffer into grad_w [Og, K].
  void transpose(const T* src, int64_t rows, int64_t cols, int64_t lds, T* dst,
                 int64_t ldd) const {
    transpose_block(avx2, src, rows, cols, lds, dst, ldd);
  }
};

// Adds one image into buf [K, opad] for the taps [k_lo, k_hi) of the item;
// tap_offset[k - k_lo] is where tap k reads xp.
template <typename T>
void accumulate_image(const Image<T>& im, const Kernels<T>& kernels, int64_t Og, int64_t OH,
                      int64_t k_lo, int64_t k_hi, const int64_t* tap_offset, T* buf) {
  const int64_t rows = std::max<int64_t>(1, kChunkPositions / im.ow);
  for (int64_t o0 = 0; o0 < Og; o0 += kLine<T>)
    for (int64_t oh0 = 0; oh0 < OH; oh0 += rows)
      for (int64_t k0 = k_lo; k0 < k_hi; k0 += kernels.max_taps) {
        const int taps = static_cast<int>(std::min<int64_t>(kernels.max_taps, k_hi - k0));
        kernels.tile(Og - o0, taps)(im, o0, tap_offset + (k0 - k_lo), oh0,
                                    std::min(OH, oh0 + rows), buf + k0 * im.opad + o0);
      }
}

template <typename T>
void weight_grad(const ConvGeometry& g, int64_t N, int64_t Og, const T* grad_out,
                 int64_t go_image_stride, const T* x, int64_t x_image_stride, T* grad_w) {
  const int64_t KK = g.KH * g.KW, K = g.C * KK, P = g.OH * g.OW;
  const int64_t opad = round_up(Og, kLine<T>), part_elems = K * opad;
  if (N == 0 || P == 0 || Og == 0 || K == 0) return std::fill(grad_w, grad_w + Og * K, T(0));

  const int64_t part_bytes = part_elems * static_cast<int64_t>(sizeof(T));
  const int64_t parts = std::clamp<int64_t>(std::min(N, kMaxParts), 1,
                                            std::max<int64_t>(1, kMaxPartialBytes / part_bytes));
  std::vector<T> partial(parts * part_elems, T(0));  // per part: grad_w^T [K, opad]

  const Kernels<T> kernels(std::is_same_v<T, float> && gemm_isa() != GemmIsa::scalar);
  // Taps split into blocks of whole tiles when the parts alone cannot keep the
  // threads evenly busy (the split does not change any sum).
  const int64_t threads = max_threads(), units = (K + kernels.max_taps - 1) / kernels.max_taps;
  int64_t kblocks = 1;
  while ((parts * kblocks) % threads != 0 && parts * kblocks < 4 * threads && kblocks < units)
    ++kblocks;
  const int64_t items = parts * kblocks;
  const bool serial = N * Og * K * P < kParallelFlops;

  const bool padded = g.ph > 0 || g.pw > 0;
  const int64_t hp = g.H + 2 * g.ph, wp = g.W + 2 * g.pw;
  parallel_for(0, items, serial ? items : 1, [&](int64_t lo, int64_t hi) {
    std::vector<int64_t> tap_offset;
    for (int64_t item = lo; item < hi; ++item) {
      const int64_t part = item / kblocks, kb = item % kblocks;
      const int64_t k_lo = std::min(K, kb * units / kblocks * kernels.max_taps);
      const int64_t k_hi = std::min(K, (kb + 1) * units / kblocks * kernels.max_taps);
      if (k_lo == k_hi) continue;
      const int64_t c_lo = k_lo / KK, c_hi = (k_hi - 1) / KK + 1;
      tap_offset.clear();
      for (int64_t k = k_lo; k < k_hi; ++k) {
        const int64_t c = k / KK, kh = k % KK / g.KW, kw = k % g.KW;
        tap_offset.push_back(((c - c_lo) * hp + kh * g.dh) * wp + kw * g.dw);
      }
      const int64_t got_elems = round_up(P * opad, kLine<T>);
      const int64_t xp_elems = padded ? (c_hi - c_lo) * hp * wp : 0;
      T* got = thread_scratch<T>(ScratchSlot::conv_columns, got_elems + xp_elems);
      T* xp = got + got_elems;
      // Padding lanes and borders are written once per item, the rest per image.
      if (opad != Og) std::fill(got, got + P * opad, T(0));
      if (padded) std::fill(xp, xp + xp_elems, T(0));

      T* buf = partial.data() + part * part_elems;
      const int64_t n_lo = part * N / parts, n_hi = (part + 1) * N / parts;
      for (int64_t n = n_lo; n < n_hi; ++n) {
        kernels.transpose(grad_out + n * go_image_stride, Og, P, P, got, opad);
        const T* xn = x + n * x_image_stride + c_lo * g.H * g.W;
        if (padded)
          for (int64_t c = 0; c < c_hi - c_lo; ++c)
            for (int64_t r = 0; r < g.H; ++r)
              std::memcpy(xp + (c * hp + r + g.ph) * wp + g.pw, xn + (c * g.H + r) * g.W,
                          static_cast<size_t>(g.W) * sizeof(T));
        const Image<T> im{got, opad, padded ? xp : xn, wp, g.OW};
        accumulate_image(im, kernels, Og, g.OH, k_lo, k_hi, tap_offset.data(), buf);
      }
    }
  });

  // grad_w [Og, K] = the sum over parts, in order, transposed.
  T* sum = partial.data();
  for (int64_t part = 1; part < parts; ++part) {
    const T* src = partial.data() + part * part_elems;
    for (int64_t i = 0; i < part_elems; ++i) sum[i] += src[i];
  }
  kernels.transpose(sum, K, Og, opad, grad_w, K);
}

}  // namespace

template <typename T>
void conv_weight_grad_stride1(const ConvGeometry& g, int64_t N, int64_t Og, const T* grad_out,
                              int64_t go_image_stride, const T* x, int64_t x_image_stride,
                              T* grad_w) {
  NF_CHECK(g.sh == 1 && g.sw == 1, "conv_weight_grad_stride1: needs stride 1, got stride (", g.sh,
           ",", g.sw, ")");
  NF_CHECK(g.ph >= 0 && g.pw >= 0 && g.dh >= 1 && g.dw >= 1 && N >= 0 && Og >= 0,
           "conv_weight_grad_stride1: bad geometry: pad (", g.ph, ",", g.pw, "), dilation (", g.dh,
           ",", g.dw, "), N ", N, ", Og ", Og);
  NF_CHECK(g.OH == g.H + 2 * g.ph - g.dh * (g.KH - 1) && g.OW == g.W + 2 * g.pw - g.dw * (g.KW - 1),
           "conv_weight_grad_stride1: output ", g.OH, "x", g.OW, " does not match input ", g.H,
           "x", g.W, " with kernel ", g.KH, "x", g.KW);
  weight_grad(g, N, Og, grad_out, go_image_stride, x, x_image_stride, grad_w);
}

template void conv_weight_grad_stride1<float>(const ConvGeometry&, int64_t, int64_t, const float*,
                                              int64_t, const float*, int64_t, float*);
template void conv_weight_grad_stride1<double>(const ConvGeometry&, int64_t, int64_t,
                                               const double*, int64_t, const double*, int64_t,
                                               double*);

}  // namespace nf::cpu
