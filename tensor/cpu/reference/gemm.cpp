// Naive batched matmul: the oracle of tensor/cpu/gemm.cpp. A triple loop over
// logical indices through the operands' strides, accumulating in double.
#include "tensor/cpu/reference.h"

namespace nf::cpu::ref {

void matmul(const Tensor& a, const Tensor& b, Tensor& out) {
  NF_CHECK(a.dim() == 3 && b.dim() == 3 && out.dim() == 3 && out.is_contiguous(),
           "ref matmul: expected a [B,M,K], b [B,K,N] and contiguous out [B,M,N], got ",
           shape_str(a.shape()), " x ", shape_str(b.shape()), " -> ", shape_str(out.shape()));
  dispatch_floating(out.dtype(), "ref matmul", [&](auto tag) {
    using T = decltype(tag);
    const int64_t batch = out.size(0), M = out.size(1), N = out.size(2), K = a.size(2);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = out.data<T>();
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
          double s = 0;
          for (int64_t k = 0; k < K; ++k)
            s += static_cast<double>(pa[n * a.stride(0) + i * a.stride(1) + k * a.stride(2)]) *
                 static_cast<double>(pb[n * b.stride(0) + k * b.stride(1) + j * b.stride(2)]);
          pc[(n * M + i) * N + j] = static_cast<T>(s);
        }
  });
}

}  // namespace nf::cpu::ref
