// AVX2+FMA GEMM micro-kernels (contract and tiles: gemm_microkernel.h).
// Compiled with target("avx2,fma") so they exist in builds without
// -march=native; gemm_isa.cpp only hands them out when the CPU has AVX2+FMA.
#include "tensor/cpu/gemm_microkernel.h"

#ifdef NF_GEMM_X86
#include <immintrin.h>

namespace nf::cpu::gemm_detail {
namespace {

// C[6 x 16] (two ymm per row): a = 6 floats per k step, B row k = 16 floats at rows[k].
template <typename Rows>
__attribute__((target("avx2,fma"), always_inline)) inline void tile_6x16(int64_t kc, const float* a,
                                                                         Rows rows, float* c,
                                                                         int64_t ldc, float beta) {
  __m256 acc[6][2];
#pragma GCC unroll 6
  for (int r = 0; r < 6; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k, a += 6) {
    const float* b = rows[k];
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r) {
      __m256 ar = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
    }
  }
  if (beta == 0.0f) {
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r, c += ldc) {
      _mm256_storeu_ps(c, acc[r][0]);
      _mm256_storeu_ps(c + 8, acc[r][1]);
    }
  } else {
    __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r, c += ldc) {
      _mm256_storeu_ps(c, _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), acc[r][0]));
      _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), acc[r][1]));
    }
  }
}

// C[4 x 24] (three ymm per row): 12 accumulators like 6 x 16, and fewer loads
// per FMA (3 + 4 per 12); the implicit-GEMM convolution uses it when the
// output channels are a multiple of 4 but not of 6 (8, 16, 32, 64: no padded rows).
template <typename Rows>
__attribute__((target("avx2,fma"), always_inline)) inline void tile_4x24(int64_t kc, const float* a,
                                                                         Rows rows, float* c,
                                                                         int64_t ldc, float beta) {
  __m256 acc[4][3];
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r) acc[r][0] = acc[r][1] = acc[r][2] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k, a += 4) {
    const float* b = rows[k];
    __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), b2 = _mm256_loadu_ps(b + 16);
#pragma GCC unroll 4
    for (int r = 0; r < 4; ++r) {
      __m256 ar = _mm256_broadcast_ss(a + r);
      acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
      acc[r][2] = _mm256_fmadd_ps(ar, b2, acc[r][2]);
    }
  }
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 4
  for (int r = 0; r < 4; ++r, c += ldc)
#pragma GCC unroll 3
    for (int v = 0; v < 3; ++v)
      _mm256_storeu_ps(c + 8 * v, beta == 0.0f ? acc[r][v]
                                               : _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8 * v), acc[r][v]));
}

// C[6 x 8] doubles (two ymm per row).
template <typename Rows>
__attribute__((target("avx2,fma"), always_inline)) inline void tile_6x8(int64_t kc, const double* a,
                                                                        Rows rows, double* c,
                                                                        int64_t ldc, double beta) {
  __m256d acc[6][2];
#pragma GCC unroll 6
  for (int r = 0; r < 6; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_pd();
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k, a += 6) {
    const double* b = rows[k];
    __m256d b0 = _mm256_loadu_pd(b), b1 = _mm256_loadu_pd(b + 4);
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r) {
      __m256d ar = _mm256_broadcast_sd(a + r);
      acc[r][0] = _mm256_fmadd_pd(ar, b0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_pd(ar, b1, acc[r][1]);
    }
  }
  if (beta == 0.0) {
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r, c += ldc) {
      _mm256_storeu_pd(c, acc[r][0]);
      _mm256_storeu_pd(c + 4, acc[r][1]);
    }
  } else {
    __m256d vb = _mm256_set1_pd(beta);
#pragma GCC unroll 6
    for (int r = 0; r < 6; ++r, c += ldc) {
      _mm256_storeu_pd(c, _mm256_fmadd_pd(vb, _mm256_loadu_pd(c), acc[r][0]));
      _mm256_storeu_pd(c + 4, _mm256_fmadd_pd(vb, _mm256_loadu_pd(c + 4), acc[r][1]));
    }
  }
}

}  // namespace

__attribute__((target("avx2,fma"))) void micro_kernel_avx2_6x16(int64_t kc, const float* a,
                                                                const float* b, int64_t ldb,
                                                                const int64_t* b_rows, float* c,
                                                                int64_t ldc, float beta) {
  if (b_rows)
    tile_6x16(kc, a, OffsetRows<float>{b, b_rows}, c, ldc, beta);
  else
    tile_6x16(kc, a, StridedRows<float>{b, ldb}, c, ldc, beta);
}

__attribute__((target("avx2,fma"))) void micro_kernel_avx2_4x24(int64_t kc, const float* a,
                                                                const float* b, int64_t ldb,
                                                                const int64_t* b_rows, float* c,
                                                                int64_t ldc, float beta) {
  if (b_rows)
    tile_4x24(kc, a, OffsetRows<float>{b, b_rows}, c, ldc, beta);
  else
    tile_4x24(kc, a, StridedRows<float>{b, ldb}, c, ldc, beta);
}

__attribute__((target("avx2,fma"))) void micro_kernel_avx2_6x8(int64_t kc, const double* a,
                                                               const double* b, int64_t ldb,
                                                               const int64_t* b_rows, double* c,
                                                               int64_t ldc, double beta) {
  if (b_rows)
    tile_6x8(kc, a, OffsetRows<double>{b, b_rows}, c, ldc, beta);
  else
    tile_6x8(kc, a, StridedRows<double>{b, ldb}, c, ldc, beta);
}

}  // namespace nf::cpu::gemm_detail
#endif
