// CPU memory: 64-byte aligned host allocations (one cache line, a full
// AVX-512 register), so kernels may use aligned loads on fresh tensors.
//
// Blocks of 64 KiB and more go through a size-class cache. glibc serves them
// with fresh mmap()s, and the kernel zeroes every page on first touch: in a
// DARTS training step that page-fault work was 35-40 % of the time. Freed
// blocks are kept (up to a cap) and handed out again for the same size class,
// as the CUDA allocator does. Sanitizer builds skip the cache, so that
// AddressSanitizer still sees every use after free.
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tensor/cpu/cpu_backend.h"

#if defined(__SANITIZE_ADDRESS__)
#define NF_HOST_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NF_HOST_CACHE 0
#endif
#endif
#ifndef NF_HOST_CACHE
#define NF_HOST_CACHE 1
#endif

namespace nf::cpu {

namespace {
constexpr size_t kAlignment = 64;
constexpr size_t kCachedFrom = size_t(64) << 10;
// Larger requests fail without asking malloc: no address space holds them
// (57-bit virtual addresses at most), size_class would overflow near
// SIZE_MAX, and sanitizer allocators abort on them instead of returning null.
constexpr size_t kLargestRequest = size_t(1) << 56;

// Four classes per power of two (at most 25 % rounding waste above 64 KiB).
size_t size_class(size_t nbytes) {
  if (nbytes < kCachedFrom) return (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  const size_t step = std::bit_ceil(nbytes) / 8;
  return (nbytes + step - 1) / step * step;
}

// "1.5 GiB (1610612736 bytes)": the out-of-memory message's size, in the same
// form as the CUDA allocator's (cuda/allocator.cpp).
std::string size_asked(size_t n) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = double(n);
  int u = 0;
  while (v >= 1024 && u < 6) v /= 1024, ++u;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f", v);  // one decimal, "4.0" -> "4"; whole bytes stay whole
  std::string text = u == 0 ? std::to_string(n) : buf;
  if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0) text.resize(text.size() - 2);
  return text + " " + units[u] + " (" + std::to_string(n) + " bytes)";
}

class HostCache {
 public:
  void* take(size_t cls) {
    std::lock_guard lock(mutex_);
    auto it = free_.find(cls);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_bytes_ -= cls;
    return p;
  }
  // False when the cache is full: the caller frees the block.
  bool give(void* p, size_t cls) {
    std::lock_guard lock(mutex_);
    if (cached_bytes_ + cls > limit_) return false;
    free_[cls].push_back(p);
    cached_bytes_ += cls;
    return true;
  }
  void flush() {
    std::lock_guard lock(mutex_);
    for (auto& [cls, blocks] : free_)
      for (void* p : blocks) std::free(p);
    free_.clear();
    cached_bytes_ = 0;
  }

 private:
  // Idle blocks kept at most: a quarter of physical memory, and 8 GiB.
  static size_t default_limit() {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    const size_t physical = pages > 0 && page > 0 ? size_t(pages) * size_t(page) : size_t(4) << 30;
    return std::min(physical / 4, size_t(8) << 30);
  }
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_bytes_ = 0;
  size_t limit_ = default_limit();
};

HostCache& host_cache() {
  static HostCache* cache = new HostCache;  // never destroyed: tensors may outlive static destructors
  return *cache;
}
}  // namespace

void* CpuBackend::allocate(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  NF_CHECK(nbytes <= kLargestRequest, "cpu allocate: out of host memory asking for ", size_asked(nbytes));
  const size_t cls = size_class(nbytes);
  const bool cached = NF_HOST_CACHE && cls >= kCachedFrom;
  if (cached)
    if (void* p = host_cache().take(cls)) return p;
  void* p = std::aligned_alloc(kAlignment, cls);
  if (!p && cached) {  // idle cached blocks may be what is missing
    host_cache().flush();
    p = std::aligned_alloc(kAlignment, cls);
  }
  // (The allocator does not know what the bytes are for; callers that do may add it.)
  NF_CHECK(p != nullptr, "cpu allocate: out of host memory asking for ", size_asked(nbytes));
  return p;
}

void CpuBackend::deallocate(void* ptr, size_t nbytes) {
  if (!ptr) return;
  const size_t cls = size_class(nbytes);
  if (NF_HOST_CACHE && cls >= kCachedFrom && host_cache().give(ptr, cls)) return;
  std::free(ptr);
}

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
