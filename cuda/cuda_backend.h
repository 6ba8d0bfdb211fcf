// The CUDA backend: one instance per device, each with its own stream and
// caching allocator. Every Backend method has kernels: memory and copies
// (allocator.cpp, kernels/fill.cu, kernels/copy.cu), elementwise.cpp,
// reduce.cpp, random.cpp, index.cpp, matmul (matmul.cpp: cuBLAS or the hand
// GEMM, see gemm_select.h) and the fused NN kernels (fused() -> cuda/fused.h).
// None of it has run on a GPU yet (no device was lent while it was written):
// tests/test_cuda_*.cpp check it against the CPU backend on the first device.
//
// Ordering: every kernel and copy runs on the backend's one stream; the host
// copies wait for it, so a host buffer is safe to reuse when they return.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <memory>
#include <mutex>

#include "cuda/allocator.h"
#include "cuda/kernels/kernels.h"
#include "tensor/backend.h"

namespace nf::cuda {

class CudaFusedBackend;  // cuda/fused.h

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int index);
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  Device device() const override { return Device::cuda(index_); }
  const char* name() const override { return "cuda"; }

  void* allocate(size_t nbytes) override;
  void deallocate(void* ptr, size_t nbytes) override;
  void copy_from_host(void* dst, const void* host_src, size_t nbytes) override;
  void copy_to_host(void* host_dst, const void* src, size_t nbytes) override;

  void fill(Tensor& out, double value) override;
  void copy(const Tensor& src, Tensor& dst) override;

  void unary(UnaryOp op, const Tensor& x, Tensor& out, double alpha) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override;
  void where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) override;
  void reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims, Tensor& out) override;
  void matmul(const Tensor& a, const Tensor& b, Tensor& out) override;
  void random(RandomKind kind, Tensor& out, uint64_t seed, uint64_t offset, double a,
              double b) override;
  void index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) override;
  void index_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;
  void gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) override;
  void scatter_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;

  // conv, pooling, batch norm, softmax and NLL kernels (cuda/fused.h).
  FusedBackend* fused() override;
  // This device's cuBLAS handle, bound to stream(); created on first use.
  cublasHandle_t cublas();

  CachingAllocator& allocator() { return allocator_; }
  cudaStream_t stream() const { return stream_; }
  void synchronize();  // waits for all work queued on the stream

 private:
  friend class CudaFusedBackend;  // launches on our stream
  Launch launch() const { return {stream_, max_blocks_}; }
  // Throws naming `op` unless t lives on this backend's device.
  void check_device(const Tensor& t, const char* op) const;

  int index_;
  int max_blocks_ = 1;
  cudaStream_t stream_ = nullptr;
  CachingAllocator allocator_;
  std::once_flag cublas_once_;
  cublasHandle_t cublas_ = nullptr;
  std::unique_ptr<CudaFusedBackend> fused_;
};

// The backend of cuda:index, created on first use and alive until the process
// exits (tensors freed during static destruction still find it). Throws when
// that device does not exist, saying why (no driver, no device, bad index).
CudaBackend& cuda_backend(int index = 0);

}  // namespace nf::cuda
