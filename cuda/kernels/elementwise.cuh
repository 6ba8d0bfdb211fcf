// Generic elementwise launchers for unary.cu and binary.cu: out[i] = f(a[i]),
// f(a[i], b[i]) or f(a[i], b[i], c[i]) over operands that share out's
// collapsed sizes (each with its own strides; broadcast = stride 0).
//
// Two paths:
//  - every operand dense and every pointer aligned to its pack: each thread
//    moves packs of kVec elements with one 16-byte load/store for the widest
//    operand (float4 / double2 equivalents), then a scalar tail;
//  - otherwise: row-major index -> one element offset per operand, computed
//    together (one div/mod per collapsed dim, shared by all operands).
// The offset helpers (operand_offsets, element_offset) also serve reduce.cu,
// index.cu and random.cu. Included only by .cu files. Functors are plain
// structs (no extended lambdas).
#pragma once
#include <cstdint>

#include "cuda/check.h"
#include "cuda/kernels/launch.cuh"

namespace nf::cuda {

// N elements of T moved as one aligned vector (16 bytes for the widest type).
template <typename T, int N>
struct alignas(sizeof(T) * N) Pack {
  T v[N];
};

// Elements per pack: 16 bytes of the widest operand type.
template <typename... Ts>
constexpr int pack_width() {
  size_t widest = 1;
  ((widest = sizeof(Ts) > widest ? sizeof(Ts) : widest), ...);
  return int(16 / widest);
}

template <int K>
struct StridedOperands {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[K][kMaxDims] = {};
};

// q = i / size, returns i % size (i >= 0, size > 0). 64-bit division is a
// long software sequence on the GPU: use the 32-bit one whenever both fit.
__device__ __forceinline__ int64_t divmod(int64_t i, int64_t size, int64_t& q) {
  if (((i | size) >> 32) == 0) {
    const uint32_t q32 = uint32_t(i) / uint32_t(size);
    q = q32;
    return int64_t(uint32_t(i) - q32 * uint32_t(size));
  }
  q = i / size;
  return i - q * size;
}

// The K operands' offsets of row-major index i: one division per inner dim,
// shared by all operands; the outermost index is what remains.
template <int K>
__device__ __forceinline__ void operand_offsets(int64_t i, const StridedOperands<K>& s,
                                                int64_t (&off)[K]) {
#pragma unroll
  for (int k = 0; k < K; ++k) off[k] = 0;
  for (int d = s.ndim - 1; d > 0; --d) {
    int64_t q;
    const int64_t idx = divmod(i, s.sizes[d], q);
    i = q;
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] += idx * s.strides[k][d];
  }
#pragma unroll
  for (int k = 0; k < K; ++k) off[k] += i * s.strides[k][0];
}

// Offset of row-major index i in one descriptor (as operand_offsets).
__device__ __forceinline__ int64_t element_offset(int64_t i, const TensorArg& t) {
  int64_t off = 0;
  for (int d = t.ndim - 1; d > 0; --d) {
    int64_t q;
    off += divmod(i, t.sizes[d], q) * t.strides[d];
    i = q;
  }
  return off + i * t.strides[0];
}

// Operands in order (out first); they must share sizes (collapsed_args does that).
template <int K>
StridedOperands<K> strided_operands(const TensorArg* const (&ts)[K]) {
  StridedOperands<K> s;
  s.ndim = ts[0]->ndim;
  for (int d = 0; d < s.ndim; ++d) {
    s.sizes[d] = ts[0]->sizes[d];
    for (int k = 0; k < K; ++k) s.strides[k][d] = ts[k]->strides[d];
  }
  return s;
}

inline bool aligned_to(const void* p, size_t bytes) {
  return reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

// --- arity 1 ----------------------------------------------------------------------

template <int N, typename O, typename A, typename F>
__global__ void map1_dense(F f, int64_t n, O* out, const A* a) {
  const int64_t packs = n / N;
  const auto* pa = reinterpret_cast<const Pack<A, N>*>(a);
  auto* po = reinterpret_cast<Pack<O, N>*>(out);
  NF_GRID_STRIDE_LOOP(p, packs) {
    const Pack<A, N> va = pa[p];
    Pack<O, N> vo;
#pragma unroll
    for (int j = 0; j < N; ++j) vo.v[j] = f(va.v[j]);
    po[p] = vo;
  }
  NF_GRID_STRIDE_LOOP(t, n - packs * N) out[packs * N + t] = f(a[packs * N + t]);
}

template <typename O, typename A, typename F>
__global__ void map1_strided(F f, int64_t n, StridedOperands<2> s, O* out, const A* a) {
  NF_GRID_STRIDE_LOOP(i, n) {
    int64_t off[2];
    operand_offsets(i, s, off);
    out[off[0]] = f(a[off[1]]);
  }
}

// out (type O) = f(a (type A)); n = numel; both share the collapsed sizes.
template <typename O, typename A, typename F>
void launch_map1(F f, const TensorArg& out, const TensorArg& a, int64_t n, const Launch& l) {
  if (n == 0) return;
  O* po = static_cast<O*>(out.data);
  const A* pa = static_cast<const A*>(a.data);
  if (is_dense(out) && is_dense(a)) {
    constexpr int N = pack_width<O, A>();
    if (aligned_to(po, sizeof(O) * N) && aligned_to(pa, sizeof(A) * N))
      map1_dense<N><<<grid_for((n + N - 1) / N, l), kThreads, 0, l.stream>>>(f, n, po, pa);
    else
      map1_dense<1><<<grid_for(n, l), kThreads, 0, l.stream>>>(f, n, po, pa);
  } else {
    const TensorArg* ts[2] = {&out, &a};
    map1_strided<<<grid_for(n, l), kThreads, 0, l.stream>>>(f, n, strided_operands(ts), po, pa);
  }
  NF_CUDA_CHECK_LAUNCH();
}

// --- arity 2 ----------------------------------------------------------------------

template <int N, typename O, typename A, typename B, typename F>
__global__ void map2_dense(F f, int64_t n, O* out, const A* a, const B* b) {
  const int64_t packs = n / N;
  const auto* pa = reinterpret_cast<const Pack<A, N>*>(a);
  const auto* pb = reinterpret_cast<const Pack<B, N>*>(b);
  auto* po = reinterpret_cast<Pack<O, N>*>(out);
  NF_GRID_STRIDE_LOOP(p, packs) {
    const Pack<A, N> va = pa[p];
    const Pack<B, N> vb = pb[p];
    Pack<O, N> vo;
#pragma unroll
    for (int j = 0; j < N; ++j) vo.v[j] = f(va.v[j], vb.v[j]);
    po[p] = vo;
  }
  NF_GRID_STRIDE_LOOP(t, n - packs * N) {
    const int64_t i = packs * N + t;
    out[i] = f(a[i], b[i]);
  }
}

template <typename O, typename A, typename B, typename F>
__global__ void map2_strided(F f, int64_t n, StridedOperands<3> s, O* out, const A* a,
                             const B* b) {
  NF_GRID_STRIDE_LOOP(i, n) {
    int64_t off[3];
    operand_offsets(i, s, off);
    out[off[0]] = f(a[off[1]], b[off[2]]);
  }
}

template <typename O, typename A, typename B, typename F>
void launch_map2(F f, const TensorArg& out, const TensorArg& a, const TensorArg& b, int64_t n,
                 const Launch& l) {
  if (n == 0) return;
  O* po = static_cast<O*>(out.data);
  const A* pa = static_cast<const A*>(a.data);
  const B* pb = static_cast<const B*>(b.data);
  if (is_dense(out) && is_dense(a) && is_dense(b)) {
    constexpr int N = pack_width<O, A, B>();
    if (aligned_to(po, sizeof(O) * N) && aligned_to(pa, sizeof(A) * N) &&
        aligned_to(pb, sizeof(B) * N))
      map2_dense<N><<<grid_for((n + N - 1) / N, l), kThreads, 0, l.stream>>>(f, n, po, pa, pb);
    else
      map2_dense<1><<<grid_for(n, l), kThreads, 0, l.stream>>>(f, n, po, pa, pb);
  } else {
    const TensorArg* ts[3] = {&out, &a, &b};
    map2_strided<<<grid_for(n, l), kThreads, 0, l.stream>>>(f, n, strided_operands(ts), po, pa,
                                                             pb);
  }
  NF_CUDA_CHECK_LAUNCH();
}

// --- arity 3 ----------------------------------------------------------------------

template <int N, typename O, typename A, typename B, typename C, typename F>
__global__ void map3_dense(F f, int64_t n, O* out, const A* a, const B* b, const C* c) {
  const int64_t packs = n / N;
  const auto* pa = reinterpret_cast<const Pack<A, N>*>(a);
  const auto* pb = reinterpret_cast<const Pack<B, N>*>(b);
  const auto* pc = reinterpret_cast<const Pack<C, N>*>(c);
  auto* po = reinterpret_cast<Pack<O, N>*>(out);
  NF_GRID_STRIDE_LOOP(p, packs) {
    const Pack<A, N> va = pa[p];
    const Pack<B, N> vb = pb[p];
    const Pack<C, N> vc = pc[p];
    Pack<O, N> vo;
#pragma unroll
    for (int j = 0; j < N; ++j) vo.v[j] = f(va.v[j], vb.v[j], vc.v[j]);
    po[p] = vo;
  }
  NF_GRID_STRIDE_LOOP(t, n - packs * N) {
    const int64_t i = packs * N + t;
    out[i] = f(a[i], b[i], c[i]);
  }
}

template <typename O, typename A, typename B, typename C, typename F>
__global__ void map3_strided(F f, int64_t n, StridedOperands<4> s, O* out, const A* a,
                             const B* b, const C* c) {
  NF_GRID_STRIDE_LOOP(i, n) {
    int64_t off[4];
    operand_offsets(i, s, off);
    out[off[0]] = f(a[off[1]], b[off[2]], c[off[3]]);
  }
}

template <typename O, typename A, typename B, typename C, typename F>
void launch_map3(F f, const TensorArg& out, const TensorArg& a, const TensorArg& b,
                 const TensorArg& c, int64_t n, const Launch& l) {
  if (n == 0) return;
  O* po = static_cast<O*>(out.data);
  const A* pa = static_cast<const A*>(a.data);
  const B* pb = static_cast<const B*>(b.data);
  const C* pc = static_cast<const C*>(c.data);
  if (is_dense(out) && is_dense(a) && is_dense(b) && is_dense(c)) {
    constexpr int N = pack_width<O, A, B, C>();
    if (aligned_to(po, sizeof(O) * N) && aligned_to(pa, sizeof(A) * N) &&
        aligned_to(pb, sizeof(B) * N) && aligned_to(pc, sizeof(C) * N))
      map3_dense<N><<<grid_for((n + N - 1) / N, l), kThreads, 0, l.stream>>>(f, n, po, pa, pb,
                                                                              pc);
    else
      map3_dense<1><<<grid_for(n, l), kThreads, 0, l.stream>>>(f, n, po, pa, pb, pc);
  } else {
    const TensorArg* ts[4] = {&out, &a, &b, &c};
    map3_strided<<<grid_for(n, l), kThreads, 0, l.stream>>>(f, n, strided_operands(ts), po, pa,
                                                             pb, pc);
  }
  NF_CUDA_CHECK_LAUNCH();
}

}  // namespace nf::cuda
