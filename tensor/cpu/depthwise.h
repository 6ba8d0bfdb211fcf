// Direct kernels for depthwise convolution (internal to tensor/cpu/): groups ==
// C_in, so each input channel c is its own group and feeds the `mult` output
// channels c*mult .. c*mult+mult-1 (the channel multiplier, O = C_in * mult).
// im2col + GEMM would run one K = KH*KW GEMM per channel, all overhead; these
// loop over planes instead, with the tap's valid range hoisted out of the
// inner loop (contiguous at stride 1, so it vectorises).
//
// Shapes (contiguous): x [N,C,H,W], w [C*mult,1,KH,KW], bias [C*mult] or null,
// out / grad_out [N,C*mult,OH,OW]; `g` describes one image with g.C = C.
#pragma once
#include <cstdint>

#include "tensor/cpu/im2col.h"

namespace nf::cpu {

template <typename T>
void depthwise_forward(const ConvGeometry& g, int64_t N, int64_t mult, const T* x, const T* w,
                       const T* bias, T* out);
// grad_x is overwritten.
template <typename T>
void depthwise_backward_input(const ConvGeometry& g, int64_t N, int64_t mult, const T* grad_out,
                              const T* w, T* grad_x);
// grad_w is overwritten.
template <typename T>
void depthwise_backward_weight(const ConvGeometry& g, int64_t N, int64_t mult, const T* grad_out,
                               const T* x, T* grad_w);

}  // namespace nf::cpu
