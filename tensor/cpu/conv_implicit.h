// Stride-1 convolution as an implicit GEMM (internal to tensor/cpu/): no
// column matrix. Each image's input planes are copied into a zero-padded
// buffer xp [C, Hp, Wp] (Hp = H + 2ph, Wp = W + 2pw). In the flattened output
// index q = oh*Wp + ow the column-matrix row of tap (c, kh, kw) is then
//   col[(c*KH + kh)*KW + kw, q] = xp[c*Hp*Wp + kh*dh*Wp + kw*dw + q],
// contiguous in q, so the GEMM micro-kernel reads its B rows straight from xp
// through a table of per-tap offsets (b_rows, gemm_microkernel.h) while the
// weights are packed once per call. The Wp - OW positions of each row with
// ow >= OW are computed and dropped (7 % more work at 28x28 k3, 29 % at 7x7
// k3), against writing and re-reading a [K, OH*OW] column matrix per image.
//
// The backward-input pass of a stride-1 convolution is itself one of these
// (conv.cpp): grad_x = conv(grad_out, w flipped and transposed, pad dilation*(K-1) - pad).
#pragma once
#include <cstdint>

#include "tensor/cpu/im2col.h"

namespace nf::cpu {

// Stride 1 and the output size of the standard formula (OH = H + 2ph - dh*(KH-1)).
bool implicit_conv_applies(const ConvGeometry& g);

// One group: x [N, g.C, H, W] (image n at x + n*x_stride), w [Og, g.C*KH*KW]
// contiguous, bias [Og] or null; out [N, Og, OH, OW] (image n at
// out + n*out_stride) is overwritten. Parallel over images, or over the
// output tiles of each image when there are fewer images than threads.
template <typename T>
void conv_forward_implicit(const ConvGeometry& g, int64_t N, int64_t Og, const T* x,
                           int64_t x_stride, const T* w, const T* bias, T* out,
                           int64_t out_stride);

}  // namespace nf::cpu
