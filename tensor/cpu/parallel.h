// parallel_for with a grain size: loops smaller than `grain` iterations run
// serially on the calling thread, so tiny tensors never pay for a thread fork.
#pragma once
#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nf::cpu {

// Default grain for cheap elementwise work (elements per thread).
constexpr int64_t kElementwiseGrain = 32768;

inline int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

inline bool in_parallel_region() {
#ifdef _OPENMP
  return omp_in_parallel();
#else
  return false;
#endif
}

// Calls fn(lo, hi) on disjoint chunks covering [begin, end).
template <typename Fn>
void parallel_for(int64_t begin, int64_t end, int64_t grain, Fn&& fn) {
  int64_t n = end - begin;
  if (n <= 0) return;
  int threads = std::min<int64_t>(max_threads(), std::max<int64_t>(1, n / std::max<int64_t>(grain, 1)));
  if (threads <= 1 || in_parallel_region()) {
    fn(begin, end);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int64_t chunk = (n + nt - 1) / nt;
    int64_t lo = begin + t * chunk, hi = std::min(end, lo + chunk);
    if (lo < hi) fn(lo, hi);
  }
#else
  fn(begin, end);
#endif
}

}  // namespace nf::cpu
