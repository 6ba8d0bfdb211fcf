// CPU softmax / log-softmax over the last dim of a contiguous x [R,C], their
// backward, and the NLL loss on log-probabilities [N,C]. Rows are independent
// and each is computed serially (sums in double), so results do not depend on
// the number of threads.
#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/cpu/arg_checks.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/parallel.h"

namespace nf::cpu {
namespace {

// Rows per thread chunk: about kElementwiseGrain elements each.
int64_t row_grain(int64_t C) { return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, C)); }

template <typename T>
void softmax_rows(const T* x, T* y, Rows r, bool log) {
  if (r.C == 0) return;
  parallel_for(0, r.R, row_grain(r.C), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const T* xr = x + i * r.C;
      T* yr = y + i * r.C;
      // Subtracting the row max keeps exp() <= 1: no overflow for large inputs.
      const T m = *std::max_element(xr, xr + r.C);
      double sum = 0.0;
      if (log) {
        for (int64_t j = 0; j < r.C; ++j) sum += std::exp(xr[j] - m);
        // (x - m) - log(sum) rather than x - (m + log(sum)): m + log(sum)
        // would round away log(sum) when |m| is large.
        const T log_sum = static_cast<T>(std::log(sum));
        for (int64_t j = 0; j < r.C; ++j) yr[j] = (xr[j] - m) - log_sum;
      } else {
        for (int64_t j = 0; j < r.C; ++j) {
          yr[j] = std::exp(xr[j] - m);
          sum += yr[j];
        }
        const T inv = static_cast<T>(1.0 / sum);
        for (int64_t j = 0; j < r.C; ++j) yr[j] *= inv;
      }
    }
  });
}

// softmax: gx = y * (g - sum(g*y)); log_softmax: gx = g - exp(y) * sum(g).
template <typename T>
void softmax_backward_rows(const T* g, const T* y, T* gx, Rows r, bool log) {
  parallel_for(0, r.R, row_grain(r.C), [&](int64_t r0, int64_t r1) {
    for (int64_t i = r0; i < r1; ++i) {
      const T* gr = g + i * r.C;
      const T* yr = y + i * r.C;
      T* out = gx + i * r.C;
      double acc = 0.0;
      if (log) {
        for (int64_t j = 0; j < r.C; ++j) acc += gr[j];
        const T s = static_cast<T>(acc);
        for (int64_t j = 0; j < r.C; ++j) out[j] = gr[j] - std::exp(yr[j]) * s;
      } else {
        for (int64_t j = 0; j < r.C; ++j) acc += static_cast<double>(gr[j]) * yr[j];
        const T d = static_cast<T>(acc);
        for (int64_t j = 0; j < r.C; ++j) out[j] = yr[j] * (gr[j] - d);
      }
    }
  });
}

// Validates every target and returns how many rows are not ignored.
int64_t count_targets(const Tensor& target, int64_t N, int64_t C, int64_t ignore_index,
                      const char* op) {
  NF_CHECK(target.dtype() == DType::i64 && target.dim() == 1 && target.size(0) == N &&
               target.is_contiguous(),
           op, ": target must be a contiguous i64 [", N, "], got ", shape_str(target.shape()), " ",
           dtype_name(target.dtype()));
  const int64_t* t = target.data<int64_t>();
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (t[i] == ignore_index) continue;
    NF_CHECK(t[i] >= 0 && t[i] < C, op, ": target ", t[i], " at row ", i, " is out of range [0,", C,
             ") (ignore_index ", ignore_index, ")");
    ++count;
  }
  return count;
}

}  // namespace

void CpuBackend::softmax(const Tensor& x, bool log, Tensor& out) {
  const Rows r = rows_of(x, "softmax");
  check_same(x, out, "softmax", "out");
  dispatch_floating(x.dtype(), "softmax", [&](auto t) {
    using T = decltype(t);
    softmax_rows(x.data<T>(), out.data<T>(), r, log);
  });
}

void CpuBackend::softmax_backward(const Tensor& grad_out, const Tensor& y, bool log,
                                  Tensor& grad_x) {
  const Rows r = rows_of(y, "softmax_backward");
  check_same(y, grad_out, "softmax_backward", "grad_out");
  check_same(y, grad_x, "softmax_backward", "grad_x");
  dispatch_floating(y.dtype(), "softmax_backward", [&](auto t) {
    using T = decltype(t);
    softmax_backward_rows(grad_out.data<T>(), y.data<T>(), grad_x.data<T>(), r, log);
  });
}

// Rows are summed serially: N is a batch size and the work is one load per row.
// With every row ignored the mean is 0/0 = NaN, as in PyTorch.
void CpuBackend::nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index,
                          Tensor& out) {
  const Rows r = rows_of(logp, "nll_loss");
  const int64_t count = count_targets(target, r.R, r.C, ignore_index, "nll_loss");
  NF_CHECK(out.numel() == 1 && out.dtype() == logp.dtype(), "nll_loss: out must be a ",
           dtype_name(logp.dtype()), " scalar, got ", shape_str(out.shape()), " ",
           dtype_name(out.dtype()));
  const int64_t* t = target.data<int64_t>();
  dispatch_floating(logp.dtype(), "nll_loss", [&](auto tag) {
    using T = decltype(tag);
    const T* lp = logp.data<T>();
    double sum = 0.0;
    for (int64_t i = 0; i < r.R; ++i)
      if (t[i] != ignore_index) sum += lp[i * r.C + t[i]];
    out.data<T>()[0] = count > 0 ? static_cast<T>(-sum / static_cast<double>(count))
                                 : std::numeric_limits<T>::quiet_NaN();
  });
}

void CpuBackend::nll_loss_backward(const Tensor& grad_out, const Tensor& target,
                                   int64_t ignore_index, Tensor& grad_logp) {
  const Rows r = rows_of(grad_logp, "nll_loss_backward");
  const int64_t count = count_targets(target, r.R, r.C, ignore_index, "nll_loss_backward");
  NF_CHECK(grad_out.numel() == 1 && grad_out.dtype() == grad_logp.dtype(),
           "nll_loss_backward: grad_out must be a ", dtype_name(grad_logp.dtype()),
           " scalar, got ", shape_str(grad_out.shape()), " ", dtype_name(grad_out.dtype()));
  const int64_t* t = target.data<int64_t>();
  dispatch_floating(grad_logp.dtype(), "nll_loss_backward", [&](auto tag) {
    using T = decltype(tag);
    T* gp = grad_logp.data<T>();
    std::fill(gp, gp + r.R * r.C, T(0));
    if (count == 0) return;  // every row ignored: no gradient flows
    const T v = static_cast<T>(-static_cast<double>(grad_out.data<T>()[0]) / static_cast<double>(count));
    for (int64_t i = 0; i < r.R; ++i)
      if (t[i] != ignore_index) gp[i * r.C + t[i]] = v;
  });
}

}  // namespace nf::cpu
