#include "cuda/allocator.h"

#include <cuda_runtime.h>

#include <cstdio>
#include <string>

#include "cuda/check.h"
#include "cuda/device.h"

namespace nf::cuda {

namespace {
constexpr size_t kSmallLimit = size_t(1) << 20;  // 1 MiB
constexpr size_t kSmallQuantum = 512;
constexpr size_t kLargeQuantum = size_t(2) << 20;  // 2 MiB

size_t round_up(size_t n, size_t q) { return (n + q - 1) / q * q; }

// "1.5 GiB" for error messages; size_asked: "1.5 GiB (1610612736 bytes)",
// the same form as the host allocator's (tensor/cpu/memory.cpp).
std::string human_bytes(size_t n) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = double(n);
  int u = 0;
  while (v >= 1024 && u < 6) v /= 1024, ++u;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f", v);  // one decimal, "4.0" -> "4"; whole bytes stay whole
  std::string text = u == 0 ? std::to_string(n) : buf;
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return text + " " + units[u];
}
std::string size_asked(size_t n) { return human_bytes(n) + " (" + std::to_string(n) + " bytes)"; }
}  // namespace

size_t CachingAllocator::round_size(size_t nbytes) {
  if (nbytes <= kSmallLimit) return round_up(nbytes == 0 ? 1 : nbytes, kSmallQuantum);
  return round_up(nbytes, kLargeQuantum);
}

CachingAllocator::~CachingAllocator() {
  try {
    empty_cache();
  } catch (...) {
    // The driver may already be shutting down at process exit; nothing to do.
  }
}

void* CachingAllocator::allocate(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  const size_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);

  if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    stats_.cached_bytes -= size;
    stats_.live_bytes += size;
    ++stats_.cache_hits;
    live_[p] = size;
    return p;
  }

  DeviceGuard guard(device_);
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, size);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    release_cached_locked();
    err = cudaMalloc(&p, size);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      NF_FAIL("cuda allocate: out of memory on cuda:", device_, " asking for ", size_asked(nbytes),
              "; the device has ", human_bytes(free_b), " free of ", human_bytes(total_b), ", ",
              human_bytes(stats_.live_bytes), " held by live tensors (cache already released; size class ", size,
              " bytes)");
    }
  }
  if (err != cudaSuccess) detail::throw_cuda_error(err, "cudaMalloc(&p, size)", __FILE__, __LINE__);
  ++stats_.device_mallocs;
  stats_.live_bytes += size;
  live_[p] = size;
  return p;
}

void CachingAllocator::deallocate(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  NF_CHECK(it != live_.end(), "cuda deallocate: pointer ", ptr,
           " was not allocated by the cuda:", device_, " allocator (or was freed twice)");
  size_t size = it->second;
  live_.erase(it);
  free_[size].push_back(ptr);
  stats_.live_bytes -= size;
  stats_.cached_bytes += size;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cached_locked();
}

void CachingAllocator::release_cached_locked() {
  if (stats_.cached_bytes == 0) return;
  DeviceGuard guard(device_);
  auto blocks = std::move(free_);  // the lists are empty even if a cudaFree throws
  free_.clear();
  stats_.cached_bytes = 0;
  for (auto& [size, list] : blocks)
    for (void* p : list) NF_CUDA_CHECK(cudaFree(p));
}

CachingAllocator::Stats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace nf::cuda
