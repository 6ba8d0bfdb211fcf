// Implicit-GEMM stride-1 convolution (see conv_implicit.h).
#include "tensor/cpu/conv_implicit.h"

#include <algorithm>
#include <vector>

#include "tensor/cpu/gemm_microkernel.h"
#include "tensor/cpu/parallel.h"
#include "tensor/cpu/scratch.h"

namespace nf::cpu {
namespace {

using gemm_detail::MicroKernel;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The shapes of one call: padded planes, flattened output and K blocks.
template <typename T>
struct ImplicitConv {
  const ConvGeometry& g;
  MicroKernel<T> mk;
  int64_t Og, Hp, Wp, K, Q, tiles, Mr;
  std::vector<int64_t> tap_offset;  // [K]: where tap k's row starts in xp
  std::vector<T> packed_w;          // per K block of mk.kc: ceil(Og/MR) slivers of kc x MR

  ImplicitConv(const ConvGeometry& geo, int64_t og, const T* w)
      : g(geo), mk(gemm_detail::micro_kernel_for_rows<T>(gemm_isa(), og)), Og(og), Hp(geo.H + 2 * geo.ph),
        Wp(geo.W + 2 * geo.pw), K(geo.C * geo.KH * geo.KW), Q((geo.OH - 1) * Wp + geo.OW),
        tiles(ceil_div(Q, mk.nr)), Mr(ceil_div(og, mk.mr) * mk.mr), tap_offset(K),
        packed_w(Mr * K) {
    for (int64_t c = 0; c < g.C; ++c)
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw)
          tap_offset[(c * g.KH + kh) * g.KW + kw] = c * Hp * Wp + kh * g.dh * Wp + kw * g.dw;
    for (int64_t pc = 0; pc < K; pc += mk.kc)
      gemm_detail::pack_a(false, w + pc, K, Og, std::min(mk.kc, K - pc), T(1),
                          packed_w.data() + pc * Mr, mk.mr);
  }

  // xp holds C*Hp*Wp values and mk.nr of slack, which the last tile reads past Q.
  int64_t padded_size() const { return g.C * Hp * Wp + mk.nr; }
  int64_t rows_size() const { return Og * tiles * mk.nr; }

  // x [C, H, W] -> xp [C, Hp, Wp] with zero borders (and zero slack).
  void pad(const T* x, T* xp) const {
    for (int64_t c = 0; c < g.C; ++c, x += g.H * g.W) {
      T* plane = xp + c * Hp * Wp;
      std::fill(plane, plane + g.ph * Wp, T(0));
      for (int64_t h = 0; h < g.H; ++h) {
        T* row = plane + (g.ph + h) * Wp;
        std::fill(row, row + g.pw, T(0));
        std::copy(x + h * g.W, x + (h + 1) * g.W, row + g.pw);
        std::fill(row + g.pw + g.W, row + Wp, T(0));
      }
      std::fill(plane + (g.ph + g.H) * Wp, plane + Hp * Wp, T(0));
    }
    std::fill(xp + g.C * Hp * Wp, xp + padded_size(), T(0));
  }

  // rows [Og, tiles*NR] (row stride ldr) over output tiles [t_lo, t_hi): all
  // K blocks, all MR-row slivers of the packed weights; ragged rows go
  // through a full tile on the side.
  void tiles_of(const T* xp, int64_t t_lo, int64_t t_hi, T* rows) const {
    const int64_t MR = mk.mr, NR = mk.nr, ldr = tiles * NR;
    for (int64_t t = t_lo; t < t_hi; ++t) {
      const int64_t q0 = t * NR;
      for (int64_t pc = 0; pc < K; pc += mk.kc) {
        const int64_t kc = std::min(mk.kc, K - pc);
        const T beta = pc == 0 ? T(0) : T(1);
        for (int64_t i0 = 0; i0 < Og; i0 += MR) {
          const T* a = packed_w.data() + pc * Mr + i0 * kc;
          T* c = rows + i0 * ldr + q0;
          if (i0 + MR <= Og) {
            mk.fn(kc, a, xp + q0, 0, tap_offset.data() + pc, c, ldr, beta);
          } else {
            alignas(64) T tile[gemm_detail::kMaxTileElems];
            mk.fn(kc, a, xp + q0, 0, tap_offset.data() + pc, tile, NR, T(0));
            for (int64_t r = 0; r < Og - i0; ++r)  // rows hold stale scratch before K block 0
              for (int64_t j = 0; j < NR; ++j)
                c[r * ldr + j] = pc == 0 ? tile[r * NR + j] : tile[r * NR + j] + c[r * ldr + j];
          }
        }
      }
    }
  }

  // rows [Og, tiles*NR] at padded width -> out [Og, OH, OW] (+ bias).
  void compact(const T* rows, const T* bias, T* out) const {
    const int64_t ldr = tiles * mk.nr;
    for (int64_t o = 0; o < Og; ++o) {
      const T b = bias ? bias[o] : T(0);
      for (int64_t oh = 0; oh < g.OH; ++oh) {
        const T* src = rows + o * ldr + oh * Wp;
        T* dst = out + (o * g.OH + oh) * g.OW;
        for (int64_t ow = 0; ow < g.OW; ++ow) dst[ow] = src[ow] + b;
      }
    }
  }
};

}  // namespace

bool implicit_conv_applies(const ConvGeometry& g) {
  return g.sh == 1 && g.sw == 1 && g.OH > 0 && g.OW > 0 &&
         g.OH == g.H + 2 * g.ph - g.dh * (g.KH - 1) && g.OW == g.W + 2 * g.pw - g.dw * (g.KW - 1);
}

template <typename T>
void conv_forward_implicit(const ConvGeometry& g, int64_t N, int64_t Og, const T* x,
                           int64_t x_stride, const T* w, const T* bias, T* out,
                           int64_t out_stride) {
  if (N == 0 || Og == 0) return;
  const ImplicitConv<T> conv(g, Og, w);
  const int64_t flops_per_image = Og * conv.K * conv.Q;
  constexpr int64_t kParallelFlops = int64_t{1} << 18;
  if (N >= max_threads() || N * flops_per_image < kParallelFlops) {
    // One image per step: its padded planes and output rows stay in this core's L2.
    const int64_t grain = N * flops_per_image < kParallelFlops ? N : 1;
    parallel_for(0, N, grain, [&](int64_t lo, int64_t hi) {
      T* xp = thread_scratch<T>(ScratchSlot::conv_padded, conv.padded_size());
      T* rows = thread_scratch<T>(ScratchSlot::conv_rows, conv.rows_size());
      for (int64_t n = lo; n < hi; ++n) {
        conv.pad(x + n * x_stride, xp);
        conv.tiles_of(xp, 0, conv.tiles, rows);
        conv.compact(rows, bias, out + n * out_stride);
      }
    });
    return;
  }
  // Fewer images than threads: the threads share each image's tiles.
  T* xp = thread_scratch<T>(ScratchSlot::conv_padded, conv.padded_size());
  T* rows = thread_scratch<T>(ScratchSlot::conv_rows, conv.rows_size());
  for (int64_t n = 0; n < N; ++n) {
    conv.pad(x + n * x_stride, xp);
    parallel_for(0, conv.tiles, 1, [&](int64_t lo, int64_t hi) { conv.tiles_of(xp, lo, hi, rows); });
    conv.compact(rows, bias, out + n * out_stride);
  }
}

template void conv_forward_implicit<float>(const ConvGeometry&, int64_t, int64_t, const float*,
                                           int64_t, const float*, const float*, float*, int64_t);
template void conv_forward_implicit<double>(const ConvGeometry&, int64_t, int64_t, const double*,
                                            int64_t, const double*, const double*, double*,
                                            int64_t);

}  // namespace nf::cpu
