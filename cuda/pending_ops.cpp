// Backend methods the CUDA backend does not have yet. Each throws a clear
// error instead of computing something wrong; issue 7 replaces them with
// kernels in kernels/*.cu.
#include "cuda/cuda_backend.h"

namespace nf::cuda {

namespace {
[[noreturn]] void not_implemented(const char* op) {
  NF_FAIL("cuda ", op, ": not implemented yet (see issue 7)");
}
}  // namespace

void CudaBackend::unary(UnaryOp, const Tensor&, Tensor&, double) { not_implemented("unary"); }
void CudaBackend::binary(BinaryOp, const Tensor&, const Tensor&, Tensor&) {
  not_implemented("binary");
}
void CudaBackend::where(const Tensor&, const Tensor&, const Tensor&, Tensor&) {
  not_implemented("where");
}
void CudaBackend::reduce(ReduceOp, const Tensor&, const std::vector<int64_t>&, Tensor&) {
  not_implemented("reduce");
}
void CudaBackend::matmul(const Tensor&, const Tensor&, Tensor&) { not_implemented("matmul"); }
void CudaBackend::random(RandomKind, Tensor&, uint64_t, uint64_t, double, double) {
  not_implemented("random");
}
void CudaBackend::index_select(const Tensor&, int64_t, const Tensor&, Tensor&) {
  not_implemented("index_select");
}
void CudaBackend::index_add(Tensor&, int64_t, const Tensor&, const Tensor&) {
  not_implemented("index_add");
}
void CudaBackend::gather(const Tensor&, int64_t, const Tensor&, Tensor&) {
  not_implemented("gather");
}
void CudaBackend::scatter_add(Tensor&, int64_t, const Tensor&, const Tensor&) {
  not_implemented("scatter_add");
}

}  // namespace nf::cuda
