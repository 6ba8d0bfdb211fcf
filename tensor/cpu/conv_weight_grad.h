// Direct weight gradient of a stride-1 convolution (internal to tensor/cpu/):
// no im2col columns, no GEMM packing. One group at a time:
//
//   grad_w[o, c, kh, kw] = sum_n sum_{oh,ow} grad_out_n[o, oh, ow]
//                                           * x_n[c, oh - ph + kh*dh, ow - pw + kw*dw]
//
// (0 outside the image), for g.C = C/groups input channels and Og output
// channels; x_n = x + n*x_image_stride ([g.C, H, W] contiguous) and
// grad_out_n = grad_out + n*go_image_stride ([Og, OH, OW] contiguous);
// grad_w [Og, g.C, KH, KW] is overwritten. Any padding >= 0 and dilation >= 1;
// g.sh == g.sw == 1 (an nf::Error otherwise).
//
// The result does not depend on the thread count: the batch is cut into a
// number of parts that depends on the shapes only, summed in a fixed order.
// It does depend on gemm_isa(): GemmIsa::scalar runs the portable loops, any
// other level the AVX2+FMA kernel (f32; f64 always runs the portable loops).
#pragma once
#include <cstdint>

#include "tensor/cpu/im2col.h"

namespace nf::cpu {

template <typename T>
void conv_weight_grad_stride1(const ConvGeometry& g, int64_t N, int64_t Og, const T* grad_out,
                              int64_t go_image_stride, const T* x, int64_t x_image_stride,
                              T* grad_w);

}  // namespace nf::cpu
