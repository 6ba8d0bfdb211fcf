// fill: out = value, for every dtype and any strides.
#include <cstring>

#include "cuda/check.h"
#include "cuda/kernels/launch.cuh"

namespace nf::cuda {

namespace {

template <typename T>
__global__ void fill_dense(T* out, int64_t n, T value) {
  NF_GRID_STRIDE_LOOP(i, n) out[i] = value;
}

template <typename T>
__global__ void fill_strided(TensorArg out, int64_t n, T value) {
  T* p = static_cast<T*>(out.data);
  NF_GRID_STRIDE_LOOP(i, n) p[strided_offset(i, out)] = value;
}

template <typename T>
bool all_zero_bits(T v) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  for (unsigned char b : bytes)
    if (b) return false;
  return true;
}

}  // namespace

void fill(const TensorArg& out, int64_t n, double value, const Launch& l) {
  if (n == 0) return;
  dispatch_all(out.dtype, "cuda fill", [&](auto tag) {
    using T = decltype(tag);
    const T v = static_cast<T>(value);
    if (is_dense(out) && all_zero_bits(v)) {
      NF_CUDA_CHECK(cudaMemsetAsync(out.data, 0, size_t(n) * sizeof(T), l.stream));
    } else if (is_dense(out)) {
      fill_dense<T><<<grid_for(n, l), kThreads, 0, l.stream>>>(static_cast<T*>(out.data), n, v);
      NF_CUDA_CHECK_LAUNCH();
    } else {
      fill_strided<T><<<grid_for(n, l), kThreads, 0, l.stream>>>(out, n, v);
      NF_CUDA_CHECK_LAUNCH();
    }
  });
}

}  // namespace nf::cuda
