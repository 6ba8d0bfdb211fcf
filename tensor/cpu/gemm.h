// Single-matrix GEMM for the CPU kernels (internal to tensor/cpu/), used by
// matmul and by the im2col convolutions.
//
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
//
// Every matrix is row-major with a leading dimension (the element distance
// between consecutive rows): op(A)(i,k) = A[i*lda + k], or A[k*lda + i] when
// trans_a; op(B)(k,j) = B[k*ldb + j], or B[j*ldb + k] when trans_b; and
// C(i,j) = C[i*ldc + j]. When beta == 0, C is not read (it may hold garbage).
//
// Called from outside a parallel region, a large GEMM spreads its tiles over
// the OpenMP threads; called from inside one (e.g. one image per thread), it
// runs serially. Each element of C is summed in the same order either way, so
// results do not depend on the thread count.
#pragma once
#include <cstdint>

namespace nf::cpu {

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
          const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
          int64_t ldc);

}  // namespace nf::cpu
