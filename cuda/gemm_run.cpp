// GEMM dispatch between the hand kernels and cuBLAS (see gemm_run.h).
#include "cuda/gemm_run.h"

#include <algorithm>
#include <climits>

#include "cuda/check.h"
#include "cuda/device.h"
#include "cuda/gemm_select.h"

namespace nf::cuda {

namespace {

#define NF_CUBLAS_CHECK(call)                                                                 \
  do {                                                                                        \
    cublasStatus_t nf_cublas_st_ = (call);                                                    \
    NF_CHECK(nf_cublas_st_ == CUBLAS_STATUS_SUCCESS, "cuda: ", #call, " failed: ",            \
             cublasGetStatusName(nf_cublas_st_), " (", cublasGetStatusString(nf_cublas_st_), \
             ") at ", __FILE__, ":", __LINE__);                                               \
  } while (0)

bool fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

// cuBLAS can run g: 32-bit sizes and leading dims that cover each stored row.
template <typename T>
bool cublas_can_run(const GemmBatch<T>& g) {
  const int64_t a_cols = g.trans_a ? g.M : g.K, b_cols = g.trans_b ? g.K : g.N;
  return fits_int(g.M) && fits_int(g.N) && fits_int(g.K) && fits_int(g.batch) &&
         fits_int(g.lda) && fits_int(g.ldb) && fits_int(g.ldc) && g.lda >= std::max<int64_t>(1, a_cols) &&
         g.ldb >= std::max<int64_t>(1, b_cols) && g.ldc >= std::max<int64_t>(1, g.N) &&
         g.stride_a >= 0 && g.stride_b >= 0 && g.stride_c >= 0;
}

// Row-major C[M,N] = op(A) op(B) is column-major C^T[N,M] = op(B^T) op(A^T):
// B goes first with its own transpose flag, then A.
void cublas_gemm(cublasHandle_t h, const GemmBatch<float>& g) {
  NF_CUBLAS_CHECK(cublasSgemmStridedBatched(
      h, g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, int(g.N),
      int(g.M), int(g.K), &g.alpha, g.B, int(g.ldb), g.stride_b, g.A, int(g.lda), g.stride_a,
      &g.beta, g.C, int(g.ldc), g.stride_c, int(g.batch)));
}

void cublas_gemm(cublasHandle_t h, const GemmBatch<double>& g) {
  NF_CUBLAS_CHECK(cublasDgemmStridedBatched(
      h, g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, int(g.N),
      int(g.M), int(g.K), &g.alpha, g.B, int(g.ldb), g.stride_b, g.A, int(g.lda), g.stride_a,
      &g.beta, g.C, int(g.ldc), g.stride_c, int(g.batch)));
}

template <typename T>
void run(CudaBackend& be, const GemmBatch<T>& g) {
  if (g.M == 0 || g.N == 0 || g.batch == 0) return;
  DeviceGuard guard(be.device().index);
  const GemmImpl impl = gemm_impl();
  if (impl == GemmImpl::hand || !cublas_can_run(g)) {
    gemm_hand(g, Launch{be.stream(), 1});
    return;
  }
  cublasHandle_t h = be.cublas();
  // Strict FP32 unless TF32 was asked for (f64 never uses TF32 either way).
  NF_CUBLAS_CHECK(cublasSetMathMode(
      h, impl == GemmImpl::cublas_tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  cublas_gemm(h, g);
}

}  // namespace

void gemm(CudaBackend& be, const GemmBatch<float>& g) { run(be, g); }
void gemm(CudaBackend& be, const GemmBatch<double>& g) { run(be, g); }

// The handle of one backend: bound to its stream, so cuBLAS work is ordered
// with our kernels (pointer mode host: alpha/beta are read from the host).
cublasHandle_t CudaBackend::cublas() {
  std::call_once(cublas_once_, [this] {
    DeviceGuard guard(index_);
    cublasHandle_t h = nullptr;
    NF_CUBLAS_CHECK(cublasCreate(&h));
    cublasStatus_t st = cublasSetStream(h, stream_);
    if (st != CUBLAS_STATUS_SUCCESS) cublasDestroy(h);
    NF_CUBLAS_CHECK(st);
    cublas_ = h;
  });
  return cublas_;
}

}  // namespace nf::cuda
