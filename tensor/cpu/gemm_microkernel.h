// GEMM micro-kernels (internal to tensor/cpu/): one MR x NR tile of C from a
// packed A sliver (kc x MR, k-major) and a B sliver of kc rows of NR
// contiguous values, row k at b + k*ldb (ldb = NR when packed), or at
// b + b_rows[k] when b_rows is given (the implicit-GEMM convolution,
// conv_implicit.h: row k is the input shifted by kernel tap k):
//
//   C[r][j] = sum_k a[k*MR + r] * B_k[j]  +  beta * C[r][j]   (C not read if beta == 0)
//
// Tiles, chosen so accumulators + B vectors + one A broadcast fit the register file:
//   AVX2+FMA  6 x 16 f32 / 6 x 8 f64: 12 ymm accumulators + 2 B + 1 A = 15 of 16 ymm;
//             4 x 24 f32 (12 + 3 B + 1 A) for row counts that are multiples of 4, not of 6.
//   AVX-512   12 x 32 f32: 24 zmm accumulators + 2 B + 1 A = 27 of 32 zmm (2 B loads
//             and 12 broadcasts per 24 FMAs keep the two load ports under the FMA rate).
//   scalar    the AVX2 tile as a plain loop nest (the compiler vectorises it for the target).
// The vector kernels live in gemm_kernel_avx2.cpp / gemm_kernel_avx512.cpp, compiled with
// target attributes; micro_kernel_for() (gemm_isa.cpp) hands gemm.cpp the one to use,
// with the cache blocking that goes with its tile.
#pragma once
#include <cstdint>

#include "tensor/cpu/gemm_isa.h"

#if defined(__x86_64__) || defined(__i386__)
#define NF_GEMM_X86 1
#endif

namespace nf::cpu::gemm_detail {

template <typename T>
using MicroKernelFn = void (*)(int64_t kc, const T* a, const T* b, int64_t ldb,
                               const int64_t* b_rows, T* c, int64_t ldc, T beta);

// Where row k of the B sliver starts; each kernel body is instantiated for both,
// so the choice is made once per tile, not per k step.
template <typename T>
struct StridedRows {
  const T* b;
  int64_t ldb;
  const T* operator[](int64_t k) const { return b + k * ldb; }
};
template <typename T>
struct OffsetRows {
  const T* b;
  const int64_t* offsets;
  const T* operator[](int64_t k) const { return b + offsets[k]; }
};

// A micro-kernel and its blocking: KC (k depth per packed sliver), MC (rows
// of the packed A block, a multiple of mr) and NC (columns of the packed B
// panel, a multiple of nr).
template <typename T>
struct MicroKernel {
  int64_t mr, nr, kc, mc, nc;
  MicroKernelFn<T> fn;
};

// The largest mr * nr of any kernel (AVX-512 f32 12 x 32): edge-tile buffers.
constexpr int64_t kMaxTileElems = 12 * 32;

template <typename T>
MicroKernel<T> micro_kernel_for(GemmIsa isa);

// The kernel for products whose C has `rows` rows in all (the implicit-GEMM
// convolution's output channels): AVX2's 4 x 24 f32 tile when rows is a
// multiple of 4 but not of 6, else micro_kernel_for(isa).
template <typename T>
MicroKernel<T> micro_kernel_for_rows(GemmIsa isa, int64_t rows);

// gemm() (gemm.h) with a given kernel instead of the current ISA's: lets the
// tests drive the blocking of a tile this CPU cannot run (AVX-512's 12 x 32)
// with the portable loop nest of the same shape.
void gemm_with_kernel(const MicroKernel<float>& mk, bool trans_a, bool trans_b, int64_t M,
                      int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                      const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void gemm_with_kernel(const MicroKernel<double>& mk, bool trans_a, bool trans_b, int64_t M,
                      int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                      const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

// Packs alpha * op(A)[0:mc, 0:kc] (A already at the block's first element) as
// ceil(mc/MR) slivers of kc x MR, k-major, the kernels' a operand; rows past mc are zero.
template <typename T>
void pack_a(bool ta, const T* A, int64_t lda, int64_t mc, int64_t kc, T alpha, T* Ap,
            int64_t MR) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR, Ap += MR * kc) {
    int64_t mr = mc - i0 < MR ? mc - i0 : MR;
    for (int64_t k = 0; k < kc; ++k) {
      T* dst = Ap + k * MR;
      for (int64_t r = 0; r < mr; ++r)
        dst[r] = alpha * (ta ? A[k * lda + i0 + r] : A[(i0 + r) * lda + k]);
      for (int64_t r = mr; r < MR; ++r) dst[r] = T(0);
    }
  }
}

template <typename T, int64_t MR, int64_t NR, typename Rows>
void portable_tile(int64_t kc, const T* a, Rows rows, T* c, int64_t ldc, T beta) {
  // One row of acc at a time, vectorised along j: left to itself GCC vectorises
  // across r instead and spends its time shuffling.
  T acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k, a += MR) {
    const T* b = rows[k];
    for (int64_t r = 0; r < MR; ++r) {
      const T ar = a[r];
#pragma omp simd
      for (int64_t j = 0; j < NR; ++j) acc[r][j] += ar * b[j];
    }
  }
  for (int64_t r = 0; r < MR; ++r, c += ldc)
    for (int64_t j = 0; j < NR; ++j) c[j] = beta == T(0) ? acc[r][j] : acc[r][j] + beta * c[j];
}

template <typename T, int64_t MR, int64_t NR>
void micro_kernel_portable(int64_t kc, const T* a, const T* b, int64_t ldb, const int64_t* b_rows,
                           T* c, int64_t ldc, T beta) {
  if (b_rows)
    portable_tile<T, MR, NR>(kc, a, OffsetRows<T>{b, b_rows}, c, ldc, beta);
  else
    portable_tile<T, MR, NR>(kc, a, StridedRows<T>{b, ldb}, c, ldc, beta);
}

#ifdef NF_GEMM_X86
// Callable only when gemm_isa_supported() says so (they use AVX2+FMA / AVX-512F).
void micro_kernel_avx2_6x16(int64_t kc, const float* a, const float* b, int64_t ldb,
                            const int64_t* b_rows, float* c, int64_t ldc, float beta);
void micro_kernel_avx2_4x24(int64_t kc, const float* a, const float* b, int64_t ldb,
                            const int64_t* b_rows, float* c, int64_t ldc, float beta);
void micro_kernel_avx2_6x8(int64_t kc, const double* a, const double* b, int64_t ldb,
                           const int64_t* b_rows, double* c, int64_t ldc, double beta);
void micro_kernel_avx512_12x32(int64_t kc, const float* a, const float* b, int64_t ldb,
                               const int64_t* b_rows, float* c, int64_t ldc, float beta);
#endif

}  // namespace nf::cpu::gemm_detail
