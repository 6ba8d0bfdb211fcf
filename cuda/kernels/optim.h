// Host entry points of the fused optimizer updates (optim.cu), with the CPU
// backend's semantics (tensor/cpu/optim.cpp, formulas in tensor/backend.h):
// one grid-stride pass over n contiguous elements of dtype dt (f32/f64).
// Scalars arrive in double and are rounded to dt on the host, as the CPU does.
#pragma once
#include <cstdint>

#include "cuda/kernels/kernels.h"

namespace nf::cuda {

// buf may be null when momentum == 0.
void sgd_step(int64_t n, DType dt, void* param, const void* grad, void* buf, double lr,
              double momentum, double weight_decay, bool nesterov, const Launch& l);

// step >= 1 is the optimizer's step count (bias correction).
void adam_step(int64_t n, DType dt, void* param, const void* grad, void* exp_avg, void* exp_avg_sq,
               double lr, double beta1, double beta2, double eps, double weight_decay,
               bool decoupled, int64_t step, const Launch& l);

}  // namespace nf::cuda
