// AVX-512F SGEMM micro-kernel (contract and tile: gemm_microkernel.h).
// Compiled with target("avx512f") so it exists in builds without
// -march=native; gemm_isa.cpp only hands it out when the CPU has AVX-512F.
#include "tensor/cpu/gemm_microkernel.h"

#ifdef NF_GEMM_X86
#include <immintrin.h>

namespace nf::cpu::gemm_detail {

namespace {

// C[12 x 32] (two zmm per row): a = 12 floats per k step, B row k = 32 floats at rows[k].
// 24 accumulators + b0, b1 + one broadcast = 27 of the 32 zmm registers.
template <typename Rows>
__attribute__((target("avx512f"), always_inline)) inline void tile_12x32(int64_t kc, const float* a,
                                                                         Rows rows, float* c,
                                                                         int64_t ldc, float beta) {
  __m512 acc[12][2];
#pragma GCC unroll 12
  for (int r = 0; r < 12; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k, a += 12) {
    const float* b = rows[k];
    __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < 12; ++r) {
      __m512 ar = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  if (beta == 0.0f) {
#pragma GCC unroll 12
    for (int r = 0; r < 12; ++r, c += ldc) {
      _mm512_storeu_ps(c, acc[r][0]);
      _mm512_storeu_ps(c + 16, acc[r][1]);
    }
  } else {
    __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 12
    for (int r = 0; r < 12; ++r, c += ldc) {
      _mm512_storeu_ps(c, _mm512_fmadd_ps(vb, _mm512_loadu_ps(c), acc[r][0]));
      _mm512_storeu_ps(c + 16, _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + 16), acc[r][1]));
    }
  }
}

}  // namespace

__attribute__((target("avx512f"))) void micro_kernel_avx512_12x32(int64_t kc, const float* a,
                                                                  const float* b, int64_t ldb,
                                                                  const int64_t* b_rows, float* c,
                                                                  int64_t ldc, float beta) {
  if (b_rows)
    tile_12x32(kc, a, OffsetRows<float>{b, b_rows}, c, ldc, beta);
  else
    tile_12x32(kc, a, StridedRows<float>{b, ldb}, c, ldc, beta);
}

}  // namespace nf::cpu::gemm_detail
#endif
