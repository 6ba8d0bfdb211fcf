// Random fills from Philox-4x32-10, bit-for-bit the CPU's generator
// (tensor/random.cpp): element i uses counter (offset + i, 0) under key seed.
//
// Exactness against the CPU backend:
//  - the Philox words and the 53-bit uniform in [0, 1) are integer / exact
//    operations: identical;
//  - uniform and bernoulli: identical (a + (b - a) * u is evaluated with the
//    CPU's rounding, fused or not: RandomParams::fused_affine);
//  - normal: sqrt(-2 log u1) * cos(2 pi u2) uses CUDA's double log/cos (<= 1
//    and 2 ulp) where the CPU uses glibc's (< 1 ulp), so an f64 draw may differ
//    in the last bit or two (relative error ~1e-15); an f32 draw is identical
//    unless the double lands within a few ulp of an f32 rounding boundary
//    (about one element in 10^8), and then differs by one f32 ulp.
#include <cstdint>

#include "cuda/check.h"
#include "cuda/kernels/elementwise.cuh"
#include "cuda/kernels/random.h"

namespace nf::cuda {

namespace {

struct Words {
  uint32_t w[4];
};

// One Philox-4x32-10 block for counter (lo, 0) and a 64-bit key: the same
// rounds and constants as nf::philox4x32.
__device__ __forceinline__ Words philox(uint64_t counter_lo, uint64_t key) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t c0 = uint32_t(counter_lo), c1 = uint32_t(counter_lo >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(kMul0) * c0, p1 = uint64_t(kMul1) * c2;
    const uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    c0 = n0, c1 = uint32_t(p1), c2 = n2, c3 = uint32_t(p0);
    k0 += kWeyl0, k1 += kWeyl1;
  }
  return {{c0, c1, c2, c3}};
}

// 53 random bits -> [0, 1), exactly as the CPU's to_unit.
__device__ __forceinline__ double to_unit(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (uint64_t(hi) << 21) ^ (uint64_t(lo) >> 11);
  return double(bits & ((uint64_t(1) << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// a + s * u rounded as the CPU rounds it (the intrinsics stop nvcc from
// contracting the unfused form into an FMA).
__device__ __forceinline__ double affine(double a, double s, double u, bool fused) {
  return fused ? __fma_rn(s, u, a) : __dadd_rn(a, __dmul_rn(s, u));
}

template <typename T>
struct UniformDraw {
  __device__ __forceinline__ T operator()(const RandomParams& p, uint64_t c) const {
    const Words r = philox(c, p.seed);
    const T v = T(affine(p.a, p.b - p.a, to_unit(r.w[0], r.w[1]), p.fused_affine));
    // Rounding to T can land on b itself: keep the interval half-open.
    return (v >= T(p.hi) && p.a < p.b) ? T(p.below_hi) : v;
  }
};

template <typename T>
struct NormalDraw {
  __device__ __forceinline__ T operator()(const RandomParams& p, uint64_t c) const {
    constexpr double kPi = 3.14159265358979323846;  // M_PI
    const Words r = philox(c, p.seed);
    // 1 - x with x = k * 2^-53 is exact whether or not it is fused.
    const double u1 = 1.0 - to_unit(r.w[0], r.w[1]);  // (0, 1]: log stays finite
    const double u2 = to_unit(r.w[2], r.w[3]);
    const double z = __dmul_rn(sqrt(-2.0 * log(u1)), cos(__dmul_rn(2.0 * kPi, u2)));
    return T(affine(p.a, p.b, z, p.fused_affine));
  }
};

template <typename T>
struct BernoulliDraw {
  __device__ __forceinline__ T operator()(const RandomParams& p, uint64_t c) const {
    const Words r = philox(c, p.seed);
    return T(to_unit(r.w[0], r.w[1]) < p.a);
  }
};

template <typename T, typename Draw>
__global__ void random_dense(RandomParams p, T* out, int64_t n) {
  const Draw draw;
  NF_GRID_STRIDE_LOOP(i, n) out[i] = draw(p, p.offset + uint64_t(i));
}

template <typename T, typename Draw>
__global__ void random_strided(RandomParams p, TensorArg out, int64_t n) {
  const Draw draw;
  T* po = static_cast<T*>(out.data);
  NF_GRID_STRIDE_LOOP(i, n) po[element_offset(i, out)] = draw(p, p.offset + uint64_t(i));
}

template <typename T, typename Draw>
void launch_draw(const RandomParams& p, const TensorArg& out, int64_t n, const Launch& l) {
  if (is_dense(out)) {
    random_dense<T, Draw><<<grid_for(n, l), kThreads, 0, l.stream>>>(p, static_cast<T*>(out.data),
                                                                     n);
  } else {
    random_strided<T, Draw><<<grid_for(n, l), kThreads, 0, l.stream>>>(p, out, n);
  }
  NF_CUDA_CHECK_LAUNCH();
}

}  // namespace

void random(const RandomParams& p, const TensorArg& out, int64_t n, const Launch& l) {
  if (n == 0) return;
  if (p.kind == RandomKind::bernoulli) {
    dispatch_all(out.dtype, "bernoulli", [&](auto tag) {
      using T = decltype(tag);
      launch_draw<T, BernoulliDraw<T>>(p, out, n, l);
    });
    return;
  }
  const char* name = p.kind == RandomKind::uniform ? "uniform" : "normal";
  dispatch_floating(out.dtype, name, [&](auto tag) {
    using T = decltype(tag);
    if (p.kind == RandomKind::uniform) launch_draw<T, UniformDraw<T>>(p, out, n, l);
    else launch_draw<T, NormalDraw<T>>(p, out, n, l);
  });
}

}  // namespace nf::cuda
