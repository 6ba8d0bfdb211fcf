// Per-thread scratch buffers for the GEMM and convolution kernels (internal to
// tensor/cpu/). Hot loops reuse them across calls instead of allocating; each
// purpose has its own slot, so a kernel can hold one slot (conv's column
// buffer) while a callee on the same thread uses another (GEMM's packing).
// OpenMP worker threads are long-lived, so each keeps its buffers warm.
#pragma once
#include <array>
#include <cstddef>
#include <memory>
#include <new>

namespace nf::cpu {

enum class ScratchSlot : int {
  gemm_pack_a,   // MC x KC panel of op(A)
  gemm_pack_b,   // KC x NC panel of op(B) (shared by the threads of one GEMM)
  gemm_row,      // one row/column of C in the small-matrix path
  conv_columns,  // im2col buffer [C/g*KH*KW, OH*OW]
  conv_padded,   // implicit-GEMM conv: zero-padded input planes [C/g, H+2ph, W+2pw]
  conv_rows,     // implicit-GEMM conv: output rows at padded width [O/g, OH*(W+2pw)]
  dw_input,      // depthwise: padded, phase-split input plane
  dw_grad,       // depthwise: padded grad_out planes
  dw_accum,      // depthwise: weight-gradient partial sums
  count
};

namespace detail {
struct AlignedFree {
  void operator()(std::byte* p) const { ::operator delete[](p, std::align_val_t(64)); }
};
struct ScratchBuffer {
  std::unique_ptr<std::byte[], AlignedFree> data;
  size_t bytes = 0;
};
}  // namespace detail

// A 64-byte aligned buffer of at least n elements of T, owned by the calling
// thread. Contents are unspecified; the pointer stays valid until the same
// thread asks the same slot for more bytes.
template <typename T>
T* thread_scratch(ScratchSlot slot, size_t n) {
  thread_local std::array<detail::ScratchBuffer, static_cast<size_t>(ScratchSlot::count)> buffers;
  detail::ScratchBuffer& b = buffers[static_cast<size_t>(slot)];
  size_t need = n * sizeof(T);
  if (need > b.bytes) {
    b.data.reset(static_cast<std::byte*>(::operator new[](need, std::align_val_t(64))));
    b.bytes = need;
  }
  return reinterpret_cast<T*>(b.data.get());
}

}  // namespace nf::cpu
