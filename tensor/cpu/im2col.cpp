// im2col / col2im (see im2col.h). Each column row is one kernel tap of one
// channel: the valid output range of the tap is computed once per row, so
// the inner loops carry no bounds checks (and are plain copies at stride 1).
// Parallel over channels: a channel's rows (im2col) and its input plane
// (col2im) belong to one thread, so col2im's accumulation order is fixed.
#include "tensor/cpu/im2col.h"

#include <cstring>

#include "tensor/cpu/parallel.h"

namespace nf::cpu {

template <typename T>
void im2col(const ConvGeometry& g, const T* x, T* col) {
  const int64_t taps = g.KH * g.KW, rows_per_c = taps * g.OH * g.OW;
  parallel_for(0, g.C, std::max<int64_t>(1, kElementwiseGrain / rows_per_c), [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c)
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          T* row = col + ((c * g.KH + kh) * g.KW + kw) * g.OH * g.OW;
          const ValidRange rh = valid_outputs(kh * g.dh - g.ph, g.sh, g.H, g.OH);
          const int64_t woff = kw * g.dw - g.pw;
          const ValidRange rw = valid_outputs(woff, g.sw, g.W, g.OW);
          std::fill(row, row + rh.lo * g.OW, T(0));
          for (int64_t oh = rh.lo; oh < rh.hi; ++oh) {
            T* dst = row + oh * g.OW;
            // input of output column rw.lo; valid for the rw.hi - rw.lo columns that follow
            const T* src = x + (c * g.H + oh * g.sh + kh * g.dh - g.ph) * g.W + rw.lo * g.sw + woff;
            std::fill(dst, dst + rw.lo, T(0));
            if (g.sw == 1)
              std::memcpy(dst + rw.lo, src, (rw.hi - rw.lo) * sizeof(T));
            else
              for (int64_t i = 0; i < rw.hi - rw.lo; ++i) dst[rw.lo + i] = src[i * g.sw];
            std::fill(dst + rw.hi, dst + g.OW, T(0));
          }
          std::fill(row + rh.hi * g.OW, row + g.OH * g.OW, T(0));
        }
  });
}

template <typename T>
void col2im(const ConvGeometry& g, const T* col, T* x) {
  const int64_t rows_per_c = g.KH * g.KW * g.OH * g.OW;
  parallel_for(0, g.C, std::max<int64_t>(1, kElementwiseGrain / rows_per_c), [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c)
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          const T* row = col + ((c * g.KH + kh) * g.KW + kw) * g.OH * g.OW;
          const ValidRange rh = valid_outputs(kh * g.dh - g.ph, g.sh, g.H, g.OH);
          const int64_t woff = kw * g.dw - g.pw;
          const ValidRange rw = valid_outputs(woff, g.sw, g.W, g.OW);
          for (int64_t oh = rh.lo; oh < rh.hi; ++oh) {
            const T* src = row + oh * g.OW + rw.lo;
            T* dst = x + (c * g.H + oh * g.sh + kh * g.dh - g.ph) * g.W + rw.lo * g.sw + woff;
            for (int64_t i = 0; i < rw.hi - rw.lo; ++i) dst[i * g.sw] += src[i];
          }
        }
  });
}

template void im2col<float>(const ConvGeometry&, const float*, float*);
template void im2col<double>(const ConvGeometry&, const double*, double*);
template void col2im<float>(const ConvGeometry&, const float*, float*);
template void col2im<double>(const ConvGeometry&, const double*, double*);

}  // namespace nf::cpu
