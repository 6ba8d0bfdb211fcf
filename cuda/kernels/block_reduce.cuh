// Warp and block reductions for the row / channel kernels (softmax, batch
// norm, depthwise weight gradient, NLL). Included only by .cu files.
#pragma once
#include <cstdint>

namespace nf::cuda {

constexpr unsigned kAllLanes = 0xffffffffu;

// Sum / max over the 32 lanes of a warp; every lane gets the result.
template <typename A>
__device__ __forceinline__ A warp_sum(A v) {
  for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(kAllLanes, v, off);
  return v;
}
template <typename A>
__device__ __forceinline__ A warp_max(A v) {
  for (int off = 16; off > 0; off /= 2) {
    const A o = __shfl_xor_sync(kAllLanes, v, off);
    v = o > v ? o : v;
  }
  return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024);
// every thread gets the result. `scratch` holds 32 values in shared memory;
// every thread of the block must call it (it synchronises).
template <typename A>
__device__ A block_sum(A v, A* scratch) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : A(0);
  return warp_sum(v);  // every warp reduces the per-warp sums itself
}

}  // namespace nf::cuda
