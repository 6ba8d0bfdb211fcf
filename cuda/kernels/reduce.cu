// Reductions: sum, mean, max, min over any dims and argmax over one, with the
// CPU backend's semantics (tensor/cpu/reduce.cpp): f32/f64 sums accumulate in
// double, i64 in i64; a NaN makes max/min NaN; argmax is the first maximum and
// the first NaN wins over any number.
//
// Three kernels, chosen by the plan (see ReducePlan::columns):
//  - rows_warp:  one warp per output, lanes stride over the reduced elements
//                (short reductions, e.g. the last dim of [N, 10]);
//  - rows_block: one block per output, or per (output, chunk) when there are
//                few outputs and many reduced elements (a full sum);
//  - columns:    a 32 x 8 block takes 32 neighbouring outputs and splits the
//                reduced range over 8 rows of threads and over gridDim.y
//                chunks: column sums of a contiguous [N, C] (bias gradients)
//                read whole rows, coalesced.
// Split reductions write one partial per (chunk, output) and `finalize`
// combines them in chunk order, so results never depend on timing (no atomics).
// The combine of partials is the sequential one's equivalent: max/min keep a
// NaN; argmax prefers a NaN, then the larger value, then the smaller index.
// Float sums are added in a different order than on the CPU (tree, not
// sequential): equal up to rounding, not bitwise.
#include <cmath>
#include <type_traits>

#include "cuda/check.h"
#include "cuda/kernels/elementwise.cuh"
#include "cuda/kernels/reduce.h"

namespace nf::cuda {

namespace {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int64_t kWarpMaxReduced = 512;  // longer rows get a block each
constexpr int kColTile = 32, kColRows = 8;
constexpr int64_t kMaxSplits = 1024;


// --- policies: init / load / combine / finish --------------------------------------

template <typename T>
struct SumP {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  using Out = T;
  __device__ static Acc init() { return Acc(0); }
  __device__ static Acc load(T v, int64_t) { return Acc(v); }
  __device__ static Acc combine(Acc a, Acc b) { return a + b; }
  __device__ static Out finish(Acc a, int64_t) { return Out(a); }
};

template <typename T>
struct MeanP : SumP<T> {
  using Acc = typename SumP<T>::Acc;
  __device__ static T finish(Acc a, int64_t count) { return T(double(a) / double(count)); }
};

template <typename T, bool kMax>
struct ExtremeP {
  using Acc = T;
  using Out = T;
  __device__ static Acc init() {
    // Literal limits: std::numeric_limits is host-only without --expt-relaxed-constexpr.
    if constexpr (std::is_floating_point_v<T>)
      return kMax ? -T(INFINITY) : T(INFINITY);
    else
      return kMax ? T(INT64_MIN) : T(INT64_MAX);
  }
  __device__ static Acc load(T v, int64_t) { return v; }
  // b replaces a when more extreme or NaN; a NaN in a is never replaced by a number.
  __device__ static Acc combine(Acc a, Acc b) { return ((kMax ? b > a : b < a) || b != b) ? b : a; }
  __device__ static Out finish(Acc a, int64_t) { return a; }
};

template <typename T>
struct ArgAcc {
  T v;
  int64_t i;  // -1: empty
};

template <typename T>
struct ArgmaxP {
  using Acc = ArgAcc<T>;
  using Out = int64_t;
  __device__ static Acc init() { return {T(0), -1}; }
  __device__ static Acc load(T v, int64_t r) { return {v, r}; }
  // Order-free form of "first NaN, else first maximum".
  __device__ static Acc combine(Acc a, Acc b) {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    const bool an = a.v != a.v, bn = b.v != b.v;
    if (an != bn) return an ? a : b;
    if (!an && a.v != b.v) return a.v > b.v ? a : b;
    return a.i <= b.i ? a : b;  // both NaN, or equal values: the earlier
  }
  __device__ static Out finish(Acc a, int64_t) { return a.i; }
};

// --- warp / block combine ---------------------------------------------------------------

__device__ __forceinline__ float shfl_down(float v, int d) {
  return __shfl_down_sync(kFullMask, v, d);
}
__device__ __forceinline__ double shfl_down(double v, int d) {
  return __shfl_down_sync(kFullMask, v, d);
}
__device__ __forceinline__ int64_t shfl_down(int64_t v, int d) {
  return int64_t(__shfl_down_sync(kFullMask, (long long)v, d));
}
template <typename T>
__device__ __forceinline__ ArgAcc<T> shfl_down(ArgAcc<T> a, int d) {
  return {shfl_down(a.v, d), shfl_down(a.i, d)};
}

// Lane 0 gets the combine of the warp's 32 values.
template <typename P>
__device__ __forceinline__ typename P::Acc warp_combine(typename P::Acc a) {
  for (int d = 16; d > 0; d /= 2) a = P::combine(a, shfl_down(a, d));
  return a;
}

// Thread 0 gets the combine of the block's values (blockDim.x a multiple of
// 32); every thread must call it.
template <typename P>
__device__ typename P::Acc block_combine(typename P::Acc a) {
  using Acc = typename P::Acc;
  __shared__ Acc scratch[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  a = warp_combine<P>(a);
  __syncthreads();  // a previous call may still read scratch
  if (lane == 0) scratch[warp] = a;
  __syncthreads();
  if (warp == 0) {
    a = lane < warps ? scratch[lane] : P::init();
    a = warp_combine<P>(a);
  }
  return a;
}

// --- kernels ----------------------------------------------------------------------------

template <typename P, typename T>
__global__ void rows_warp(const T* x, TensorArg kept, TensorArg red, typename P::Out* out,
                          int64_t n_out, int64_t R) {
  const int lane = threadIdx.x % 32;
  const int64_t first = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int64_t warps = int64_t(gridDim.x) * blockDim.x / 32;
  for (int64_t o = first; o < n_out; o += warps) {  // o is uniform over the warp
    const T* base = x + element_offset(o, kept);
    typename P::Acc a = P::init();
    for (int64_t r = lane; r < R; r += 32)
      a = P::combine(a, P::load(base[element_offset(r, red)], r));
    a = warp_combine<P>(a);
    if (lane == 0) out[o] = P::finish(a, R);
  }
}

// Block (o, s) reduces chunk s = [s * chunk, (s+1) * chunk) of output o; with
// partial != nullptr it writes partial[s * n_out + o] instead of out[o].
template <typename P, typename T>
__global__ void rows_block(const T* x, TensorArg kept, TensorArg red, typename P::Out* out,
                           typename P::Acc* partial, int64_t n_out, int64_t R, int64_t chunk) {
  const int64_t s = blockIdx.y;
  const int64_t r_lo = s * chunk, r_hi = R < r_lo + chunk ? R : r_lo + chunk;
  for (int64_t o = blockIdx.x; o < n_out; o += gridDim.x) {
    const T* base = x + element_offset(o, kept);
    typename P::Acc a = P::init();
    for (int64_t r = r_lo + threadIdx.x; r < r_hi; r += blockDim.x)
      a = P::combine(a, P::load(base[element_offset(r, red)], r));
    a = block_combine<P>(a);
    if (threadIdx.x == 0) {
      if (partial) partial[s * n_out + o] = a;
      else out[o] = P::finish(a, R);
    }
  }
}

// blockDim (32, 8): threadIdx.x picks the output, threadIdx.y a row of the
// chunk; the 8 row partials are combined in shared memory.
template <typename P, typename T>
__global__ void columns(const T* x, TensorArg kept, TensorArg red, typename P::Out* out,
                        typename P::Acc* partial, int64_t n_out, int64_t R, int64_t chunk) {
  using Acc = typename P::Acc;
  __shared__ Acc tile[kColRows][kColTile];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t o = int64_t(blockIdx.x) * kColTile + tx;
  const int64_t s = blockIdx.y;
  const int64_t r_lo = s * chunk, r_hi = R < r_lo + chunk ? R : r_lo + chunk;
  Acc a = P::init();
  if (o < n_out) {
    const T* base = x + element_offset(o, kept);
    for (int64_t r = r_lo + ty; r < r_hi; r += kColRows)
      a = P::combine(a, P::load(base[element_offset(r, red)], r));
  }
  tile[ty][tx] = a;
  __syncthreads();
  if (ty == 0 && o < n_out) {
    for (int k = 1; k < kColRows; ++k) a = P::combine(a, tile[k][tx]);
    if (partial) partial[s * n_out + o] = a;
    else out[o] = P::finish(a, R);
  }
}

// out[o] = finish(partial[0][o] + ... + partial[S-1][o]), chunks in order.
template <typename P>
__global__ void finalize(const typename P::Acc* partial, typename P::Out* out, int64_t n_out,
                         int64_t S, int64_t R) {
  NF_GRID_STRIDE_LOOP(o, n_out) {
    typename P::Acc a = partial[o];
    for (int64_t s = 1; s < S; ++s) a = P::combine(a, partial[s * n_out + o]);
    out[o] = P::finish(a, R);
  }
}

// --- host side --------------------------------------------------------------------------

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Scratch from the caching allocator, returned when the launches are queued
// (the stream orders any reuse behind them).
class Scratch {
 public:
  Scratch(CachingAllocator& alloc, size_t bytes) : alloc_(alloc), ptr_(alloc.allocate(bytes)) {}
  ~Scratch() { alloc_.deallocate(ptr_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void* get() const { return ptr_; }

 private:
  CachingAllocator& alloc_;
  void* ptr_;
};

template <typename P, typename T>
void run(const ReducePlan& g, void* out_ptr, CachingAllocator& alloc, const Launch& l) {
  using Acc = typename P::Acc;
  using Out = typename P::Out;
  const T* x = static_cast<const T*>(g.kept.data);
  Out* out = static_cast<Out*>(out_ptr);
  const int64_t n_out = g.out_numel, R = g.red_numel;

  if (!g.columns && R <= kWarpMaxReduced) {
    rows_warp<P, T><<<grid_for(n_out * 32, l), kThreads, 0, l.stream>>>(x, g.kept, g.reduced, out,
                                                                         n_out, R);
    NF_CUDA_CHECK_LAUNCH();
    return;
  }

  // Splits of the reduced range: enough blocks to fill the device, each chunk
  // still long enough to amortise its partial.
  int64_t S = 1, blocks_x = 0;
  if (g.columns) {
    blocks_x = ceil_div(n_out, kColTile);
    S = std::min(ceil_div(2 * int64_t(l.max_blocks), blocks_x), R / 128);
  } else {
    blocks_x = std::min<int64_t>(n_out, l.max_blocks);
    S = std::min(ceil_div(2 * int64_t(l.max_blocks), blocks_x), R / 4096);
  }
  S = std::max<int64_t>(1, std::min(S, kMaxSplits));
  const int64_t chunk = ceil_div(R, S);
  S = ceil_div(R, chunk);  // no empty chunk

  Scratch scratch(alloc, S > 1 ? size_t(S * n_out) * sizeof(Acc) : 0);
  Acc* partial = static_cast<Acc*>(scratch.get());
  if (g.columns) {
    const dim3 grid{unsigned(blocks_x), unsigned(S)}, block{kColTile, kColRows};
    columns<P, T><<<grid, block, 0, l.stream>>>(x, g.kept, g.reduced, out, partial, n_out, R,
                                                chunk);
  } else {
    const dim3 grid{unsigned(blocks_x), unsigned(S)};
    rows_block<P, T><<<grid, kThreads, 0, l.stream>>>(x, g.kept, g.reduced, out, partial, n_out,
                                                       R, chunk);
  }
  NF_CUDA_CHECK_LAUNCH();
  if (S > 1) {
    finalize<P><<<grid_for(n_out, l), kThreads, 0, l.stream>>>(partial, out, n_out, S, R);
    NF_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace

void reduce(ReduceOp op, DType x_dtype, const ReducePlan& plan, void* out, CachingAllocator& alloc,
            const Launch& l) {
  if (plan.out_numel == 0 || plan.red_numel == 0) return;  // the host side fills empty reductions
  auto typed = [&](auto tag) {
    using T = decltype(tag);
    switch (op) {
      case ReduceOp::sum: return run<SumP<T>, T>(plan, out, alloc, l);
      case ReduceOp::mean:
        if constexpr (std::is_floating_point_v<T>) return run<MeanP<T>, T>(plan, out, alloc, l);
        NF_FAIL("mean: expected a floating dtype (f32 or f64), got ", dtype_name(x_dtype));
      case ReduceOp::max: return run<ExtremeP<T, true>, T>(plan, out, alloc, l);
      case ReduceOp::min: return run<ExtremeP<T, false>, T>(plan, out, alloc, l);
      case ReduceOp::argmax: return run<ArgmaxP<T>, T>(plan, out, alloc, l);
    }
  };
  switch (x_dtype) {
    case DType::f32: return typed(float{});
    case DType::f64: return typed(double{});
    case DType::i64: return typed(int64_t{});
    default: NF_FAIL("cuda reduce: unsupported dtype ", dtype_name(x_dtype));
  }
}

}  // namespace nf::cuda
