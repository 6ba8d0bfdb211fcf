// CudaBackend::matmul: maps the Backend contract (a [B,M,K] x b [B,K,N] ->
// contiguous out [B,M,N], each operand's last two dims row-major or
// transposed, batch strides possibly 0) onto one batched GEMM.
#include <algorithm>

#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/gemm_run.h"

namespace nf::cuda {

namespace {

// One [batch, rows, cols] operand as GEMM arguments, by the same rules as
// the CPU backend: row-major when the last dim has stride 1 (or is a single
// column), transposed when the middle dim has stride 1 (or is a single row).
struct Operand {
  bool trans;
  int64_t ld, batch_stride;
};

Operand operand(const Tensor& t, const char* which) {
  const int64_t rows = t.size(1), cols = t.size(2);
  // With a single stored row the leading dim is never used, so it is set to
  // the smallest legal one (cuBLAS checks it even then).
  if (t.stride(2) == 1 || cols == 1)  // stored [rows, cols]
    return {false, rows <= 1 ? std::max<int64_t>(1, cols) : t.stride(1), t.stride(0)};
  if (t.stride(1) == 1 || rows == 1)  // stored [cols, rows]
    return {true, cols <= 1 ? std::max<int64_t>(1, rows) : t.stride(2), t.stride(0)};
  NF_FAIL("cuda matmul: operand ", which, " ", shape_str(t.shape()), " has strides ",
          shape_str(t.strides()), "; its last two dims must be row-major or transposed");
}

template <typename T>
void run(CudaBackend& be, const Tensor& a, const Tensor& b, Tensor& out) {
  const Operand A = operand(a, "a"), B = operand(b, "b");
  GemmBatch<T> g;
  g.trans_a = A.trans;
  g.trans_b = B.trans;
  g.batch = out.size(0);
  g.M = out.size(1);
  g.N = out.size(2);
  g.K = a.size(2);
  g.A = a.data<T>();
  g.lda = A.ld;
  g.stride_a = A.batch_stride;
  g.B = b.data<T>();
  g.ldb = B.ld;
  g.stride_b = B.batch_stride;
  g.C = out.data<T>();
  g.ldc = g.N;
  g.stride_c = g.M * g.N;
  gemm(be, g);
}

}  // namespace

void CudaBackend::matmul(const Tensor& a, const Tensor& b, Tensor& out) {
  check_device(a, "matmul");
  check_device(b, "matmul");
  check_device(out, "matmul");
  NF_CHECK(a.dim() == 3 && b.dim() == 3 && out.dim() == 3 && out.is_contiguous() &&
               a.size(0) == out.size(0) && b.size(0) == out.size(0) && a.size(1) == out.size(1) &&
               b.size(2) == out.size(2) && a.size(2) == b.size(1),
           "cuda matmul: expects a [B,M,K], b [B,K,N] and contiguous out [B,M,N], got ",
           shape_str(a.shape()), " x ", shape_str(b.shape()), " -> ", shape_str(out.shape()));
  NF_CHECK(a.dtype() == out.dtype() && b.dtype() == out.dtype(), "cuda matmul: dtypes ",
           dtype_name(a.dtype()), " x ", dtype_name(b.dtype()), " -> ", dtype_name(out.dtype()),
           " differ");
  if (out.numel() == 0) return;
  dispatch_floating(out.dtype(), "cuda matmul", [&](auto tag) { run<decltype(tag)>(*this, a, b, out); });
}

}  // namespace nf::cuda
