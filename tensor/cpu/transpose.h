// Block transposes for packing (internal to tensor/cpu/): the weight-gradient
// kernel's grad_out and result layouts, and GEMM's transposed B slivers.
#pragma once
#include <cstdint>

namespace nf::cpu {

// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols. With use_avx2
// (the caller checked the CPU: gemm_isa() != scalar), f32 goes through 8 x 8
// blocks transposed in registers; otherwise, and for f64, a cache-blocked loop.
template <typename T>
void transpose_block(bool use_avx2, const T* src, int64_t rows, int64_t cols, int64_t lds, T* dst,
                     int64_t ldd);

}  // namespace nf::cpu
