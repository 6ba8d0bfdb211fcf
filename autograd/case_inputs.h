// Input builders for gradcheck cases (autograd/registry.h): small f64 CPU
// tensors that require grad, drawn from the case's Generator, plus builders
// that keep inputs away from the kinks of non-smooth ops.
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace nf::autograd::cases {

// N(0, 1) entries.
Tensor randn64(const Shape& shape, Generator& g, bool requires_grad = true);
// U[lo, hi) entries (e.g. positive inputs for log, sqrt, pow).
Tensor uniform64(const Shape& shape, double lo, double hi, Generator& g, bool requires_grad = true);
// |x| in [lo, hi) with a random sign: away from the kink at 0 (relu, abs).
Tensor away_from_zero64(const Shape& shape, Generator& g, double lo = 0.1, double hi = 1.5);
// All entries distinct, pairwise at least 0.05 apart, in random order: no ties
// for max / max_pool.
Tensor distinct64(const Shape& shape, Generator& g);
// An i64 tensor from values (indices and targets; never requires grad).
Tensor index64(const std::vector<int64_t>& values, const Shape& shape);

}  // namespace nf::autograd::cases
