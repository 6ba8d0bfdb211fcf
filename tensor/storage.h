// Storage: the bytes behind one or more tensor views, owned by a device backend.
// The version counter is shared by every view of the storage: an in-place write
// bumps it, and autograd refuses a saved tensor whose version moved on.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tensor/device.h"

namespace nf {

class Storage {
 public:
  Storage(size_t nbytes, Device device);  // allocates through the device's backend
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  uint64_t version_ = 0;
};

}  // namespace nf
