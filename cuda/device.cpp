#include "cuda/device.h"

#include <cuda_runtime.h>

#include "cuda/check.h"

namespace nf::cuda {

namespace {
cudaError_t query_count(int& n) {
  n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    n = 0;
  }
  return err;
}
}  // namespace

int device_count() {
  int n = 0;
  query_count(n);
  return n;
}

std::string no_device_reason() {
  int n = 0;
  cudaError_t err = query_count(n);
  if (n > 0) return "";
  if (err == cudaSuccess) return "cudaGetDeviceCount reports 0 devices";
  return std::string(cudaGetErrorName(err)) + " (" + cudaGetErrorString(err) + ")";
}

DeviceGuard::DeviceGuard(int index) {
  NF_CUDA_CHECK(cudaGetDevice(&previous_));
  if (previous_ != index) {
    NF_CUDA_CHECK(cudaSetDevice(index));
    changed_ = true;
  }
}

DeviceGuard::~DeviceGuard() {
  if (changed_) cudaSetDevice(previous_);  // no throw from a destructor
}

}  // namespace nf::cuda
