// CUDA device discovery and the current-device guard used by every backend call.
#pragma once
#include <string>

namespace nf::cuda {

// Number of visible CUDA devices; 0 when there is no device or no driver
// (never throws, so tests can use it to skip themselves).
int device_count();
// Why device_count() is 0, e.g. "cudaErrorNoDevice (no CUDA-capable device is detected)";
// empty when devices are present.
std::string no_device_reason();

// Makes `index` the current device for its lifetime, then restores the previous one.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
  bool changed_ = false;
};

}  // namespace nf::cuda
