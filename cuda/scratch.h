// Device scratch memory from a CudaBackend's caching allocator, returned on
// scope exit. Safe to free right after queueing the kernels that use it:
// every later user of the block runs on the same stream, after them.
#pragma once
#include <cstddef>

#include "cuda/cuda_backend.h"

namespace nf::cuda {

class Scratch {
 public:
  Scratch(CudaBackend& be, size_t bytes) : be_(be), bytes_(bytes), ptr_(be.allocate(bytes)) {}
  ~Scratch() { be_.deallocate(ptr_, bytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  CudaBackend& be_;
  size_t bytes_;
  void* ptr_;
};

}  // namespace nf::cuda
