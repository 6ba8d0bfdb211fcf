// GEMM micro-kernels (internal to gemm.cpp): one MR x NR tile of C from a
// packed A sliver (kc x MR, k-major) and a B sliver of kc rows of NR
// contiguous values, ldb apart (ldb = NR when packed):
//
//   C[r][j] = sum_k a[k*MR + r] * b[k*ldb + j]  +  beta * C[r][j]   (C not read if beta == 0)
//
// MR x NR = 6 x (two 256-bit vectors): 12 accumulator registers + 2 for B + 1
// broadcast of A fill 15 of AVX2's 16 ymm registers. With AVX2+FMA (the build
// uses -march=native by default) the kernel is written with intrinsics; else a
// portable loop nest with the same tile, which GCC vectorises for the target.
#pragma once
#include <cstdint>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define NF_GEMM_AVX2 1
#endif

namespace nf::cpu::gemm_detail {

template <typename T>
struct Tile {
  static constexpr int64_t MR = 6;
  static constexpr int64_t NR = 64 / sizeof(T);  // 16 floats or 8 doubles
};

template <typename T>
inline void micro_kernel_portable(int64_t kc, const T* a, const T* b, int64_t ldb, T* c,
                                  int64_t ldc, T beta) {
  constexpr int64_t MR = Tile<T>::MR, NR = Tile<T>::NR;
  T acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k, a += MR, b += ldb)
    for (int64_t r = 0; r < MR; ++r)
      for (int64_t j = 0; j < NR; ++j) acc[r][j] += a[r] * b[j];
  for (int64_t r = 0; r < MR; ++r, c += ldc)
    for (int64_t j = 0; j < NR; ++j) c[j] = beta == T(0) ? acc[r][j] : acc[r][j] + beta * c[j];
}

#ifdef NF_GEMM_AVX2

inline void micro_kernel(int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                         int64_t ldc, float beta) {
  __m256 acc[6][2];
#pragma GCC unroll 6
  for (int r = 0; r < 6; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k, a += 6, b += ldb) {
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

inline void micro_kernel(int64_t kc, const double* a, const double* b, int64_t ldb, double* c,
                         int64_t ldc, double beta) {
  __m256d acc[6][2];
#pragma GCC unroll 6
  for (int r = 0; r < 6; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_pd();
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k, a += 6, b += ldb) {
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

#else

template <typename T>
inline void micro_kernel(int64_t kc, const T* a, const T* b, int64_t ldb, T* c, int64_t ldc,
                         T beta) {
  micro_kernel_portable(kc, a, b, ldb, c, ldc, beta);
}

#endif

}  // namespace nf::cpu::gemm_detail
