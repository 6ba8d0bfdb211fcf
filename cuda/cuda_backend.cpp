// CudaBackend: construction, the per-device registry and the memory methods.
#include "cuda/cuda_backend.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "cuda/check.h"
#include "cuda/device.h"
#include "cuda/fused.h"

namespace nf::cuda {

CudaBackend::CudaBackend(int index) : index_(index), allocator_(index) {
  DeviceGuard guard(index_);
  int sms = 0, threads_per_sm = 0;
  NF_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, index_));
  NF_CUDA_CHECK(cudaDeviceGetAttribute(&threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor,
                                       index_));
  // Enough resident blocks of 256 threads to fill every SM once.
  max_blocks_ = sms * std::max(1, threads_per_sm / 256);
  // Non-blocking: our work never serialises against the legacy default stream.
  NF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  fused_ = std::make_unique<CudaFusedBackend>(*this);
}

CudaBackend::~CudaBackend() {
  if (cublas_) cublasDestroy(cublas_);
  if (stream_) cudaStreamDestroy(stream_);
}

FusedBackend* CudaBackend::fused() { return fused_.get(); }

void CudaBackend::check_device(const Tensor& t, const char* op) const {
  NF_CHECK(t.device() == device(), "cuda ", op, ": tensor on ", t.device().str(),
           " given to the ", device().str(), " backend");
}

void CudaBackend::synchronize() {
  DeviceGuard guard(index_);
  NF_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void* CudaBackend::allocate(size_t nbytes) { return allocator_.allocate(nbytes); }

void CudaBackend::deallocate(void* ptr, size_t) { allocator_.deallocate(ptr); }

void CudaBackend::copy_from_host(void* dst, const void* host_src, size_t nbytes) {
  if (nbytes == 0) return;
  DeviceGuard guard(index_);
  NF_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, nbytes, cudaMemcpyHostToDevice, stream_));
  NF_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

void CudaBackend::copy_to_host(void* host_dst, const void* src, size_t nbytes) {
  if (nbytes == 0) return;
  DeviceGuard guard(index_);
  NF_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, nbytes, cudaMemcpyDeviceToHost, stream_));
  NF_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

CudaBackend& cuda_backend(int index) {
  static std::mutex mutex;
  static auto* instances = new std::map<int, CudaBackend*>;  // never freed: see header
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = instances->find(index); it != instances->end()) return *it->second;
  int count = device_count();
  NF_CHECK(count > 0, "cuda:", index, ": no CUDA device is available (", no_device_reason(), ")");
  NF_CHECK(index >= 0 && index < count, "cuda:", index, ": no such device (", count,
           " CUDA device(s) visible)");
  auto* b = new CudaBackend(index);
  (*instances)[index] = b;
  return *b;
}

}  // namespace nf::cuda
