// Caching device allocator (one per device). cudaMalloc/cudaFree are slow and
// cudaFree synchronises the device, so freed blocks go to a free list keyed by
// their rounded size and are handed out again for the next request of that
// size class. All work runs on the backend's single stream, so a block reused
// after a free is ordered behind every kernel that still touched it.
//
// Size classes: up to 1 MiB, multiples of 512 B; above, multiples of 2 MiB.
// On out-of-memory the cache is released and cudaMalloc retried once; if that
// fails too, nf::Error reports the bytes asked and the device's free/total.
#pragma once
#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace nf::cuda {

class CachingAllocator {
 public:
  struct Stats {
    size_t live_bytes = 0;     // rounded bytes handed out and not yet freed
    size_t cached_bytes = 0;   // rounded bytes sitting in the free lists
    size_t device_mallocs = 0; // cudaMalloc calls that succeeded
    size_t cache_hits = 0;     // requests served from a free list
  };

  explicit CachingAllocator(int device) : device_(device) {}
  ~CachingAllocator();  // returns cached blocks to the driver
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(size_t nbytes);  // nullptr for 0 bytes
  void deallocate(void* ptr);     // ptr must come from allocate(); nullptr is a no-op
  void empty_cache();             // cudaFree every cached block
  Stats stats() const;

  static size_t round_size(size_t nbytes);

 private:
  void release_cached_locked();

  int device_;
  mutable std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;  // size class -> cached blocks
  std::unordered_map<void*, size_t> live_;              // block -> its size class
  Stats stats_;
};

}  // namespace nf::cuda
