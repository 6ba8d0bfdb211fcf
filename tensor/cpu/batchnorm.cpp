// CPU batch norm over x [N,C,*] (contiguous; * = any trailing spatial dims,
// possibly none). Statistics are per channel over the N and spatial axes.
// Work is split over channels and each channel is reduced serially in double,
// so results do not depend on the number of threads.
#include <algorithm>
#include <cmath>
#include <utility>

#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/parallel.h"

namespace nf::cpu {
namespace {

// x [N,C,*] seen as [N,C,S]: sample n of channel c is the S contiguous
// elements starting at (n*C + c)*S.
struct ChannelLayout {
  int64_t N, C, S;
  int64_t count() const { return N * S; }  // elements per channel
  int64_t base(int64_t n, int64_t c) const { return (n * C + c) * S; }
};

ChannelLayout channel_layout(const Tensor& x, const char* op) {
  NF_CHECK(x.dim() >= 2, op, ": expected x [N,C,*], got ", shape_str(x.shape()));
  NF_CHECK(x.is_contiguous(), op, ": x ", shape_str(x.shape()), " must be contiguous");
  int64_t s = 1;
  for (int64_t d = 2; d < x.dim(); ++d) s *= x.size(d);
  return {x.size(0), x.size(1), s};
}

// Channels per thread chunk: about kElementwiseGrain elements of work each.
int64_t channel_grain(const ChannelLayout& l) {
  return std::max<int64_t>(1, kElementwiseGrain / std::max<int64_t>(1, l.count()));
}

template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.template data<T>() : nullptr;
}

// Sum over channel c of f(i) for every flat index i of that channel, in
// double. Independent partial sums break the chain of dependent adds (so the
// loop pipelines and vectorises); they are combined in a fixed order, so the
// result does not depend on the thread count.
template <typename F>
double channel_sum(const ChannelLayout& l, int64_t c, F&& f) {
  constexpr int64_t kLanes = 8;
  double lane[kLanes] = {};
  for (int64_t n = 0; n < l.N; ++n) {
    const int64_t b = l.base(n, c);
    int64_t s = 0;
    for (; s + kLanes <= l.S; s += kLanes)
      for (int64_t k = 0; k < kLanes; ++k) lane[k] += f(b + s + k);
    for (; s < l.S; ++s) lane[s % kLanes] += f(b + s);
  }
  for (int64_t width = kLanes / 2; width > 0; width /= 2)
    for (int64_t k = 0; k < width; ++k) lane[k] += lane[k + width];
  return lane[0];
}

// channel_sum of f and of g in one pass over the channel (the backward pass
// reads grad_out once for both of its sums); each sum adds in the same order
// as channel_sum would.
template <typename F, typename G>
std::pair<double, double> channel_sum2(const ChannelLayout& l, int64_t c, F&& f, G&& g) {
  constexpr int64_t kLanes = 8;
  double lf[kLanes] = {}, lg[kLanes] = {};
  for (int64_t n = 0; n < l.N; ++n) {
    const int64_t b = l.base(n, c);
    int64_t s = 0;
    for (; s + kLanes <= l.S; s += kLanes)
      for (int64_t k = 0; k < kLanes; ++k) {
        lf[k] += f(b + s + k);
        lg[k] += g(b + s + k);
      }
    for (; s < l.S; ++s) {
      lf[s % kLanes] += f(b + s);
      lg[s % kLanes] += g(b + s);
    }
  }
  for (int64_t width = kLanes / 2; width > 0; width /= 2)
    for (int64_t k = 0; k < width; ++k) {
      lf[k] += lf[k + width];
      lg[k] += lg[k + width];
    }
  return {lf[0], lg[0]};
}

// Biased mean and variance of one channel (two passes, double).
template <typename T>
std::pair<double, double> channel_mean_var(const T* x, const ChannelLayout& l, int64_t c) {
  const double n = static_cast<double>(l.count());
  const double mean = channel_sum(l, c, [&](int64_t i) { return static_cast<double>(x[i]); }) / n;
  const double sq = channel_sum(l, c, [&](int64_t i) {
    const double d = static_cast<double>(x[i]) - mean;
    return d * d;
  });
  return {mean, sq / n};
}

template <typename T>
void forward(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& running_mean,
             Tensor& running_var, bool training, double momentum, double eps, Tensor& out,
             Tensor& save_mean, Tensor& save_invstd) {
  const ChannelLayout l = channel_layout(x, "batch_norm_forward");
  const T* xp = x.data<T>();
  const T* wp = data_or_null<T>(weight);
  const T* bp = data_or_null<T>(bias);
  T* rm = data_or_null<T>(running_mean);
  T* rv = data_or_null<T>(running_var);
  T* op = out.data<T>();
  T* mp = save_mean.data<T>();
  T* ip = save_invstd.data<T>();
  const int64_t n = l.count();
  if (training) {
    // As PyTorch: the unbiased running variance needs at least two values.
    NF_CHECK(n > 1, "batch_norm_forward: expected more than 1 value per channel when training, got x ",
             shape_str(x.shape()));
  } else {
    NF_CHECK(rm && rv, "batch_norm_forward: eval mode needs running_mean and running_var");
  }
  parallel_for(0, l.C, channel_grain(l), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double mean, invstd;
      if (training) {
        const auto [m, var] = channel_mean_var(xp, l, c);
        mean = m;
        invstd = 1.0 / std::sqrt(var + eps);
        if (rm) rm[c] = static_cast<T>((1.0 - momentum) * rm[c] + momentum * mean);
        if (rv) {
          const double unbiased = var * static_cast<double>(n) / static_cast<double>(n - 1);
          rv[c] = static_cast<T>((1.0 - momentum) * rv[c] + momentum * unbiased);
        }
      } else {
        mean = rm[c];
        invstd = 1.0 / std::sqrt(static_cast<double>(rv[c]) + eps);
      }
      mp[c] = static_cast<T>(mean);
      ip[c] = static_cast<T>(invstd);
      // out = (x - mean) * (invstd * w) + b
      const T m = static_cast<T>(mean);
      const T scale = static_cast<T>(invstd * (wp ? static_cast<double>(wp[c]) : 1.0));
      const T shift = bp ? bp[c] : T(0);
      for (int64_t ni = 0; ni < l.N; ++ni) {
        const int64_t b = l.base(ni, c);
        for (int64_t s = 0; s < l.S; ++s) op[b + s] = (xp[b + s] - m) * scale + shift;
      }
    }
  });
}

template <typename T>
void backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight, const Tensor& save_mean,
              const Tensor& save_invstd, bool training, Tensor& grad_x, Tensor& grad_weight,
              Tensor& grad_bias) {
  const ChannelLayout l = channel_layout(x, "batch_norm_backward");
  NF_CHECK(grad_out.shape() == x.shape() && grad_out.is_contiguous(),
           "batch_norm_backward: grad_out ", shape_str(grad_out.shape()),
           " must be contiguous with the shape of x ", shape_str(x.shape()));
  const T* gp = grad_out.data<T>();
  const T* xp = x.data<T>();
  const T* wp = data_or_null<T>(weight);
  const T* mp = save_mean.data<T>();
  const T* ip = save_invstd.data<T>();
  T* gxp = data_or_null<T>(grad_x);
  T* gwp = data_or_null<T>(grad_weight);
  T* gbp = data_or_null<T>(grad_bias);
  const double n = static_cast<double>(l.count());
  parallel_for(0, l.C, channel_grain(l), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double mean = mp[c], invstd = ip[c];
      const double w = wp ? static_cast<double>(wp[c]) : 1.0;
      const bool need_sums = gwp || gbp || (gxp && training);
      double sum_g = 0.0, sum_g_xhat = 0.0;
      if (need_sums) {
        const auto [sg, sgx] = channel_sum2(
            l, c, [&](int64_t i) { return static_cast<double>(gp[i]); },
            [&](int64_t i) { return static_cast<double>(gp[i]) * (static_cast<double>(xp[i]) - mean); });
        sum_g = sg;
        sum_g_xhat = invstd * sgx;
      }
      if (gwp) gwp[c] = static_cast<T>(sum_g_xhat);
      if (gbp) gbp[c] = static_cast<T>(sum_g);
      if (!gxp) continue;
      // Training: gx = k*(g - mean(g)) - k*invstd*mean(g*xhat)*(x - mean), k = invstd*w.
      // Eval: the statistics are constants, so gx = k*g.
      const double k = invstd * w;
      const T a = static_cast<T>(k);
      const T g_shift = static_cast<T>(training ? sum_g / n : 0.0);
      const T x_coef = static_cast<T>(training ? k * invstd * sum_g_xhat / n : 0.0);
      const T m = static_cast<T>(mean);
      for (int64_t ni = 0; ni < l.N; ++ni) {
        const int64_t b = l.base(ni, c);
        for (int64_t s = 0; s < l.S; ++s) {
          const int64_t i = b + s;
          gxp[i] = a * (gp[i] - g_shift) - x_coef * (xp[i] - m);
        }
      }
    }
  });
}

}  // namespace

void CpuBackend::batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                    Tensor& running_mean, Tensor& running_var, bool training,
                                    double momentum, double eps, Tensor& out, Tensor& save_mean,
                                    Tensor& save_invstd) {
  dispatch_floating(x.dtype(), "batch_norm_forward", [&](auto t) {
    forward<decltype(t)>(x, weight, bias, running_mean, running_var, training, momentum, eps, out,
                         save_mean, save_invstd);
  });
}

void CpuBackend::batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                     const Tensor& save_mean, const Tensor& save_invstd,
                                     bool training, Tensor& grad_x, Tensor& grad_weight,
                                     Tensor& grad_bias) {
  dispatch_floating(x.dtype(), "batch_norm_backward", [&](auto t) {
    backward<decltype(t)>(grad_out, x, weight, save_mean, save_invstd, training, grad_x,
                          grad_weight, grad_bias);
  });
}

}  // namespace nf::cpu
