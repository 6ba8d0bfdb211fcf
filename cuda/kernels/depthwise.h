// Host entry points of the direct depthwise convolution kernels
// (depthwise.cu): groups == C_in, each input channel c feeds the `mult` output
// channels c*mult .. c*mult+mult-1 (O = C * mult), w [O,1,KH,KW]. Shapes in
// ConvShape (im2col.h); all tensors contiguous.
#pragma once
#include "cuda/kernels/im2col.h"

namespace nf::cuda {

// out [N,O,OH,OW] = depthwise conv of x [N,C,H,W] (+ bias [O] when not null).
void depthwise_forward(const ConvShape& s, DType dt, const void* x, const void* w,
                       const void* bias, void* out, const Launch& l);
// grad_x [N,C,H,W] (overwritten) from grad_out [N,O,OH,OW].
void depthwise_backward_input(const ConvShape& s, DType dt, const void* grad_out, const void* w,
                              void* grad_x, const Launch& l);
// grad_w [O,1,KH,KW] (overwritten) = sum over images and outputs of grad_out * x.
void depthwise_backward_weight(const ConvShape& s, DType dt, const void* grad_out, const void* x,
                               void* grad_w, const Launch& l);

}  // namespace nf::cuda
