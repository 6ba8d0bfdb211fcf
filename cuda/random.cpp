// Host side of random: checks, the CPU's interval clamp values, and whether
// the CPU backend fuses a + s * u into one FMA, so that random.cu reproduces
// the CPU's numbers (see the exactness notes there).
#include <cmath>

#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/kernels/random.h"
#include "cuda/tensor_arg.h"

namespace nf::cuda {

namespace {

// The shape of the CPU's `a + (b - a) * u` and `a + b * z` (tensor/cpu/random.cpp).
// This file is compiled by the same compiler with the same flags as the CPU
// backend, so the compiler contracts this expression into an FMA exactly when
// it contracts those (GCC with an FMA-capable -march does; without FMA
// instructions, or with -ffp-contract=off, it does not).
[[gnu::noinline]] double host_affine(double a, double s, double u) { return a + s * u; }

// -1 + (1 + 2^-30)^2: rounding the product first gives 2^-29 exactly, one
// fused rounding keeps the extra 2^-60.
bool host_fuses_affine() {
  volatile double a = -1.0, s = 1.0 + std::ldexp(1.0, -30);
  return host_affine(a, s, s) != std::ldexp(1.0, -29);
}

}  // namespace

void CudaBackend::random(RandomKind kind, Tensor& out, uint64_t seed, uint64_t offset, double a,
                         double b) {
  check_device(out, "random");
  static const bool fused = host_fuses_affine();
  RandomParams p;
  p.kind = kind;
  p.seed = seed;
  p.offset = offset;
  p.a = a;
  p.b = b;
  p.fused_affine = fused;
  if (kind != RandomKind::bernoulli) {
    // Same dtype errors as the CPU backend's dispatch_floating.
    dispatch_floating(out.dtype(), kind == RandomKind::uniform ? "uniform" : "normal",
                      [&](auto tag) {
                        using T = decltype(tag);
                        const T hi = T(b);
                        p.hi = double(hi);
                        p.below_hi = double(std::nextafter(hi, T(a)));
                      });
  }
  if (out.numel() == 0) return;
  DeviceGuard guard(index_);
  auto args = collapsed_args(out.shape(), {&out}, "cuda random");
  cuda::random(p, args[0], out.numel(), launch());
}

}  // namespace nf::cuda
