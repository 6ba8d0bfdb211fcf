// Block transposes (see transpose.h).
#include "tensor/cpu/transpose.h"

#include <algorithm>
#include <type_traits>

#include "tensor/cpu/gemm_microkernel.h"

#ifdef NF_GEMM_X86
#include <immintrin.h>
#endif

namespace nf::cpu {
namespace {

template <typename T>
void transpose_portable(const T* src, int64_t rows, int64_t cols, int64_t lds, T* dst,
                        int64_t ldd) {
  constexpr int64_t kBlock = 64;  // columns per block: the written lines stay in L1
  for (int64_t c0 = 0; c0 < cols; c0 += kBlock) {
    const int64_t c1 = std::min(cols, c0 + kBlock);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = c0; c < c1; ++c) dst[c * ldd + r] = src[r * lds + c];
  }
}

#ifdef NF_GEMM_X86
// 8 x 8 blocks in registers (the conv weight gradient's scalar copy of
// grad_out cost about a tenth of its FMAs at 16-32 channels).
__attribute__((target("avx2,fma"))) void transpose_avx2(const float* src, int64_t rows,
                                                        int64_t cols, int64_t lds, float* dst,
                                                        int64_t ldd) {
  const int64_t R8 = rows / 8 * 8, C8 = cols / 8 * 8;
  for (int64_t r0 = 0; r0 < R8; r0 += 8) {
    for (int64_t c0 = 0; c0 < C8; c0 += 8) {
      __m256 v[8], t[8], u[8];
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(src + (r0 + i) * lds + c0);
      // Pairs of rows interleaved, then pairs of pairs: u[j] (u[4 + j]) holds
      // columns j and 4 + j of rows 0-3 (4-7) in its low and high halves.
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        t[2 * i] = _mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]);
      }
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {  // rows 4h .. 4h+3
        u[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
        u[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
        u[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
        u[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
      }
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        _mm256_storeu_ps(dst + (c0 + j) * ldd + r0, _mm256_permute2f128_ps(u[j], u[4 + j], 0x20));
        _mm256_storeu_ps(dst + (c0 + 4 + j) * ldd + r0,
                         _mm256_permute2f128_ps(u[j], u[4 + j], 0x31));
      }
    }
    transpose_portable(src + r0 * lds + C8, 8, cols - C8, lds, dst + C8 * ldd + r0, ldd);
  }
  transpose_portable(src + R8 * lds, rows - R8, cols, lds, dst + R8, ldd);
}
#endif

}  // namespace

template <typename T>
void transpose_block(bool use_avx2, const T* src, int64_t rows, int64_t cols, int64_t lds, T* dst,
                     int64_t ldd) {
#ifdef NF_GEMM_X86
  if constexpr (std::is_same_v<T, float>)
    if (use_avx2) return transpose_avx2(src, rows, cols, lds, dst, ldd);
#endif
  (void)use_avx2;
  transpose_portable(src, rows, cols, lds, dst, ldd);
}

template void transpose_block<float>(bool, const float*, int64_t, int64_t, int64_t, float*, int64_t);
template void transpose_block<double>(bool, const double*, int64_t, int64_t, int64_t, double*,
                                      int64_t);

}  // namespace nf::cpu
