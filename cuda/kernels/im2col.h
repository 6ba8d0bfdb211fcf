// Host entry points of the convolution helper kernels (im2col.cu): im2col,
// col2im, the bias add and the channel-major regrouping of grad_out.
//
// Column matrix of one image (all C channels):
//   col[(c*KH + kh)*KW + kw, oh*OW + ow] = x[c, oh*sh - ph + kh*dh, ow*sw - pw + kw*dw]
// (0 in the padding), so group g's rows are the K = C/g*KH*KW rows from g*K.
#pragma once
#include <cstdint>

#include "cuda/kernels/kernels.h"

namespace nf::cuda {

// x [N,C,H,W], w [O,C/g,KH,KW], out [N,O,OH,OW].
struct ConvShape {
  int64_t N, C, H, W, O, KH, KW, OH, OW;
  int64_t sh, sw, ph, pw, dh, dw;
  // Host-only helpers (kernels spell the products out).
  int64_t rows() const { return C * KH * KW; }  // column rows of one image
  int64_t P() const { return OH * OW; }
};

// Columns of images n0 .. n0+nb-1 of x: element (row, p) of image n0+i goes to
// col[row * row_stride + i * image_stride + p]. Layouts used:
//   [nb][rows][P]: row_stride = P, image_stride = rows*P (batched GEMM per image)
//   [rows][nb*P]:  row_stride = nb*P, image_stride = P (one GEMM over the batch)
void im2col(const ConvShape& s, DType dt, const void* x, int64_t n0, int64_t nb, void* col,
            int64_t row_stride, int64_t image_stride, const Launch& l);

// grad_x of images n0 .. n0+nb-1 = col2im of col laid out [nb][rows][P]
// (overwritten: each input element sums the column entries that read it).
void col2im(const ConvShape& s, DType dt, const void* col, int64_t n0, int64_t nb, void* grad_x,
            const Launch& l);

// out [N,O,P] += bias[o].
void add_channel_bias(DType dt, void* out, const void* bias, int64_t N, int64_t O, int64_t P,
                      const Launch& l);

// dst [O][nb*P] = src images n0 .. n0+nb-1 of [N,O,P]: dst[o, i*P + p] = src[n0+i, o, p].
void channels_first(DType dt, const void* src, int64_t n0, int64_t nb, int64_t O, int64_t P,
                    void* dst, const Launch& l);

}  // namespace nf::cuda
