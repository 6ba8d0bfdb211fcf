// copy: dst = cast(src) for every pair of dtypes. Dense and same dtype is a
// device memcpy; dense with a cast is a linear kernel; anything else walks
// both tensors' strides (the layout change behind contiguous(), transpose
// copies and broadcast materialisation).
#include "cuda/check.h"
#include "cuda/kernels/launch.cuh"

namespace nf::cuda {

namespace {

template <typename S, typename D>
__global__ void cast_dense(const S* src, D* dst, int64_t n) {
  NF_GRID_STRIDE_LOOP(i, n) dst[i] = static_cast<D>(src[i]);
}

// src and dst share dst's sizes; each has its own strides.
template <typename S, typename D>
__global__ void copy_strided(TensorArg src, TensorArg dst, int64_t n) {
  const S* s = static_cast<const S*>(src.data);
  D* d = static_cast<D*>(dst.data);
  NF_GRID_STRIDE_LOOP(i, n) {
    int64_t rem = i, src_off = 0, dst_off = 0;
    for (int k = dst.ndim - 1; k >= 0; --k) {
      int64_t idx = rem % dst.sizes[k];
      rem /= dst.sizes[k];
      src_off += idx * src.strides[k];
      dst_off += idx * dst.strides[k];
    }
    d[dst_off] = static_cast<D>(s[src_off]);
  }
}

}  // namespace

void copy(const TensorArg& src, const TensorArg& dst, int64_t n, const Launch& l) {
  if (n == 0) return;
  const bool dense = is_dense(src) && is_dense(dst);
  if (dense && src.dtype == dst.dtype) {
    NF_CUDA_CHECK(cudaMemcpyAsync(dst.data, src.data, size_t(n) * dtype_size(dst.dtype),
                                  cudaMemcpyDeviceToDevice, l.stream));
    return;
  }
  dispatch_all(src.dtype, "cuda copy", [&](auto src_tag) {
    dispatch_all(dst.dtype, "cuda copy", [&](auto dst_tag) {
      using S = decltype(src_tag);
      using D = decltype(dst_tag);
      if (dense) {
        cast_dense<S, D><<<grid_for(n, l), kThreads, 0, l.stream>>>(
            static_cast<const S*>(src.data), static_cast<D*>(dst.data), n);
      } else {
        copy_strided<S, D><<<grid_for(n, l), kThreads, 0, l.stream>>>(src, dst, n);
      }
      NF_CUDA_CHECK_LAUNCH();
    });
  });
}

}  // namespace nf::cuda
