// im2col / col2im for the GEMM convolutions (internal to tensor/cpu/).
//
// For one image and one group of C input channels, the column matrix is
//   col[(c*KH + kh)*KW + kw, oh*OW + ow] = x[c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
// (0 where that position falls in the padding), shape [C*KH*KW, OH*OW], so the
// convolution of the group is the GEMM w_g[O/g, C*KH*KW] x col.
#pragma once
#include <algorithm>
#include <cstdint>

#include "tensor/backend.h"

namespace nf::cpu {

// The geometry of one group of one image of a 2-D convolution.
struct ConvGeometry {
  int64_t C, H, W;    // input channels (of the group), input height and width
  int64_t KH, KW;     // kernel
  int64_t OH, OW;     // output
  int64_t sh, sw, ph, pw, dh, dw;

  ConvGeometry(int64_t channels, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t oh,
               int64_t ow, const ConvParams& p)
      : C(channels), H(h), W(w), KH(kh), KW(kw), OH(oh), OW(ow), sh(p.stride_h),
        sw(p.stride_w), ph(p.pad_h), pw(p.pad_w), dh(p.dilation_h), dw(p.dilation_w) {}
  int64_t col_rows() const { return C * KH * KW; }
  int64_t col_cols() const { return OH * OW; }
};

// Output positions [lo, hi) along one axis whose input index o*stride + offset
// lies inside [0, in); offset = k*dilation - pad for kernel tap k.
struct ValidRange {
  int64_t lo, hi;
};
inline ValidRange valid_outputs(int64_t offset, int64_t stride, int64_t in, int64_t out) {
  int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t hi = in - 1 - offset < 0 ? 0 : (in - 1 - offset) / stride + 1;
  lo = std::min(lo, out);
  return {lo, std::clamp(hi, lo, out)};
}

// x [C,H,W] contiguous -> col [C*KH*KW, OH*OW] (overwritten).
template <typename T>
void im2col(const ConvGeometry& g, const T* x, T* col);
// col [C*KH*KW, OH*OW] -> x [C,H,W]: accumulates (x += col2im(col)); the caller zeroes x.
template <typename T>
void col2im(const ConvGeometry& g, const T* col, T* x);

}  // namespace nf::cpu
