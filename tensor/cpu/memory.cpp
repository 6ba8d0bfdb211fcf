// CPU memory: 64-byte aligned host allocations (one cache line, a full
// AVX-512 register), so kernels may use aligned loads on fresh tensors.
#include <cstdlib>
#include <cstring>

#include "tensor/cpu/cpu_backend.h"

namespace nf::cpu {

namespace {
constexpr size_t kAlignment = 64;
}

void* CpuBackend::allocate(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  NF_CHECK(p != nullptr, "cpu allocate: out of host memory asking for ", nbytes, " bytes");
  return p;
}

void CpuBackend::deallocate(void* ptr, size_t) { std::free(ptr); }

void CpuBackend::copy_from_host(void* dst, const void* host_src, size_t nbytes) {
  if (nbytes) std::memcpy(dst, host_src, nbytes);
}

void CpuBackend::copy_to_host(void* host_dst, const void* src, size_t nbytes) {
  if (nbytes) std::memcpy(host_dst, src, nbytes);
}

CpuBackend& cpu_backend() {
  static CpuBackend instance;
  return instance;
}

}  // namespace nf::cpu
