// Host entry points of the hand-written GEMM kernels (gemm.cu).
//
// Row-major, batched: for b in [0, batch)
//   C_b[M,N] = alpha * op(A_b)[M,K] x op(B_b)[K,N] + beta * C_b
// with X_b = X + b * stride_x (a stride may be 0: one matrix for the whole
// batch). op(A) = A stored [M,K] with row stride lda, or, when trans_a, A
// stored [K,M] (row stride lda) read transposed; likewise B ([K,N] or, when
// trans_b, stored [N,K]). C is [M,N] with row stride ldc. beta == 0 never
// reads C (it may hold garbage or NaN).
#pragma once
#include <cstdint>

#include "cuda/kernels/kernels.h"

namespace nf::cuda {

template <typename T>
struct GemmBatch {
  bool trans_a = false, trans_b = false;
  int64_t M = 0, N = 0, K = 0;
  const T* A = nullptr;
  int64_t lda = 0, stride_a = 0;
  const T* B = nullptr;
  int64_t ldb = 0, stride_b = 0;
  T* C = nullptr;
  int64_t ldc = 0, stride_c = 0;
  int64_t batch = 1;
  T alpha = T(1), beta = T(0);
};

// f32: 128x128 block tiles, 8x8 outputs per thread, double-buffered shared
// tiles, float4 loads where the operand's alignment allows.
void gemm_hand(const GemmBatch<float>& g, const Launch& l);
// f64: a plain 16x16 shared-memory tiled kernel (gradchecks, not speed).
void gemm_hand(const GemmBatch<double>& g, const Launch& l);

}  // namespace nf::cuda
