// Host entry point of random.cu: counter-based random fills that reproduce
// the CPU backend's numbers (tensor/cpu/random.cpp, tensor/random.cpp).
#pragma once
#include <cstdint>

#include "cuda/kernels/kernels.h"
#include "tensor/backend.h"

namespace nf::cuda {

// How the CPU computes a + s * u (uniform: s = b - a; normal: s = std): with
// one fused multiply-add or with a rounded product then a rounded sum. The
// host side (cuda/random.cpp) finds out which its compiler does.
struct RandomParams {
  RandomKind kind = RandomKind::uniform;
  uint64_t seed = 0, offset = 0;
  double a = 0, b = 0;
  double hi = 0, below_hi = 0;  // uniform: b and the T value just below it, as on the CPU
  bool fused_affine = false;
};

// Element i (row-major over out's collapsed sizes) = draw from counter offset + i.
// uniform/normal: out f32/f64; bernoulli: any dtype (1 with probability a).
void random(const RandomParams& p, const TensorArg& out, int64_t n, const Launch& l);

}  // namespace nf::cuda
