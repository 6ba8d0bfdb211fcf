// NF_CUDA_CHECK(call): runs a CUDA runtime call and, when it fails, throws
// nf::Error with the call's text, the CUDA error name and message, and
// file:line, e.g.
//   "cuda: cudaMemcpyAsync(dst, src, n, kind, stream) failed: cudaErrorInvalidValue
//    (invalid argument) at cuda/cuda_backend.cpp:57"
#pragma once
#include <cuda_runtime.h>

#include "tensor/error.h"

namespace nf::cuda::detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file,
                                          int line) {
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  NF_FAIL("cuda: ", call, " failed: ", cudaGetErrorName(err), " (", cudaGetErrorString(err),
          ") at ", file, ":", line);
}

}  // namespace nf::cuda::detail

#define NF_CUDA_CHECK(call)                                                        \
  do {                                                                             \
    cudaError_t nf_cuda_err_ = (call);                                             \
    if (nf_cuda_err_ != cudaSuccess)                                               \
      ::nf::cuda::detail::throw_cuda_error(nf_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: reports a bad launch configuration at the launch site.
#define NF_CUDA_CHECK_LAUNCH() NF_CUDA_CHECK(cudaGetLastError())
