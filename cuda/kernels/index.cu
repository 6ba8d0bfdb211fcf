// Indexing kernels: a range check that finds the first bad index (so the host
// can report it exactly as the CPU does), gather-style reads and atomic
// scatter-style adds (f64 atomicAdd needs sm_60+; i64 adds go through the
// unsigned 64-bit atomicAdd, which wraps identically in two's complement).
#include "cuda/kernels/elementwise.cuh"
#include "cuda/kernels/index.h"

namespace nf::cuda {

namespace {


__global__ void find_bad(TensorArg index, int64_t n, int64_t limit,
                         unsigned long long* first_bad) {
  const int64_t* p = static_cast<const int64_t*>(index.data);
  NF_GRID_STRIDE_LOOP(i, n) {
    const int64_t v = p[element_offset(i, index)];
    if (v < 0 || v >= limit) atomicMin(first_bad, (unsigned long long)i);
  }
}

// Operands: 0 = out, 1 = x (dim stride 0), 2 = index.
template <typename T>
__global__ void gather_kernel(StridedOperands<3> s, T* out, const T* x, const int64_t* index,
                              int64_t x_dim_stride, int64_t n) {
  NF_GRID_STRIDE_LOOP(i, n) {
    int64_t off[3];
    operand_offsets(i, s, off);
    out[off[0]] = x[off[1] + index[off[2]] * x_dim_stride];
  }
}

__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int64_t* p, int64_t v) {
  atomicAdd(reinterpret_cast<unsigned long long*>(p), (unsigned long long)v);
}

// Operands: 0 = src, 1 = out (dim stride 0), 2 = index.
template <typename T>
__global__ void scatter_add_kernel(StridedOperands<3> s, T* out, const T* src,
                                   const int64_t* index, int64_t out_dim_stride, int64_t n) {
  NF_GRID_STRIDE_LOOP(i, n) {
    int64_t off[3];
    operand_offsets(i, s, off);
    atomic_add(out + off[1] + index[off[2]] * out_dim_stride, src[off[0]]);
  }
}

}  // namespace

int64_t first_bad_index(const TensorArg& index, int64_t n, int64_t limit, CachingAllocator& alloc,
                        const Launch& l) {
  if (n == 0) return -1;
  auto* flag = static_cast<unsigned long long*>(alloc.allocate(sizeof(unsigned long long)));
  unsigned long long first = 0;
  try {
    NF_CUDA_CHECK(cudaMemsetAsync(flag, 0xff, sizeof(unsigned long long), l.stream));  // "none"
    find_bad<<<grid_for(n, l), kThreads, 0, l.stream>>>(index, n, limit, flag);
    NF_CUDA_CHECK_LAUNCH();
    NF_CUDA_CHECK(cudaMemcpyAsync(&first, flag, sizeof(first), cudaMemcpyDeviceToHost, l.stream));
    NF_CUDA_CHECK(cudaStreamSynchronize(l.stream));
  } catch (...) {
    alloc.deallocate(flag);
    throw;
  }
  alloc.deallocate(flag);
  return first == ~0ull ? -1 : int64_t(first);
}

void gather(const TensorArg& out, const TensorArg& x, const TensorArg& index,
            int64_t x_dim_stride, int64_t n, const Launch& l) {
  if (n == 0) return;
  const TensorArg* ts[3] = {&out, &x, &index};
  const StridedOperands<3> s = strided_operands(ts);
  dispatch_all(out.dtype, "cuda gather", [&](auto tag) {
    using T = decltype(tag);
    gather_kernel<T><<<grid_for(n, l), kThreads, 0, l.stream>>>(
        s, static_cast<T*>(out.data), static_cast<const T*>(x.data),
        static_cast<const int64_t*>(index.data), x_dim_stride, n);
    NF_CUDA_CHECK_LAUNCH();
  });
}

void scatter_add(const TensorArg& out, const TensorArg& src, const TensorArg& index,
                 int64_t out_dim_stride, int64_t n, const Launch& l) {
  if (n == 0) return;
  const TensorArg* ts[3] = {&src, &out, &index};
  const StridedOperands<3> s = strided_operands(ts);
  auto run = [&](auto tag) {
    using T = decltype(tag);
    scatter_add_kernel<T><<<grid_for(n, l), kThreads, 0, l.stream>>>(
        s, static_cast<T*>(out.data), static_cast<const T*>(src.data),
        static_cast<const int64_t*>(index.data), out_dim_stride, n);
    NF_CUDA_CHECK_LAUNCH();
  };
  switch (out.dtype) {
    case DType::f32: return run(float{});
    case DType::f64: return run(double{});
    case DType::i64: return run(int64_t{});
    default: NF_FAIL("cuda scatter_add: unsupported dtype ", dtype_name(out.dtype));
  }
}

}  // namespace nf::cuda
