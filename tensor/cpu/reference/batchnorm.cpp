// Naive batch norm: the oracle of tensor/cpu/batchnorm.cpp. Everything is
// copied to double, computed with plain loops, and written back. The backward
// uses the textbook chain rule through mean and variance, a different
// derivation from the fast kernel's closed form.
#include <cmath>
#include <vector>

#include "tensor/cpu/reference.h"

namespace nf::cpu::ref {
namespace {

std::vector<double> load(const Tensor& t) {
  std::vector<double> v(t.numel());
  dispatch_floating(t.dtype(), "ref batch_norm", [&](auto tag) {
    const auto* p = t.data<decltype(tag)>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(p[i]);
  });
  return v;
}

void store(const std::vector<double>& v, Tensor& t) {
  dispatch_floating(t.dtype(), "ref batch_norm", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<T>(v[i]);
  });
}

// x [N,C,*] as [N,C,S]; index of (n, c, s).
struct Layout {
  int64_t N, C, S;
  int64_t at(int64_t n, int64_t c, int64_t s) const { return (n * C + c) * S + s; }
};

Layout layout(const Tensor& x) {
  NF_CHECK(x.dim() >= 2 && x.is_contiguous(), "ref batch_norm: expected contiguous x [N,C,*], got ",
           shape_str(x.shape()));
  int64_t s = 1;
  for (int64_t d = 2; d < x.dim(); ++d) s *= x.size(d);
  return {x.size(0), x.size(1), s};
}

}  // namespace

void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        Tensor& running_mean, Tensor& running_var, bool training, double momentum,
                        double eps, Tensor& out, Tensor& save_mean, Tensor& save_invstd) {
  const Layout l = layout(x);
  const int64_t n = l.N * l.S;
  NF_CHECK(!training || n > 1, "ref batch_norm_forward: need more than 1 value per channel");
  NF_CHECK(training || (running_mean.defined() && running_var.defined()),
           "ref batch_norm_forward: eval mode needs running statistics");
  const std::vector<double> xv = load(x);
  const std::vector<double> w = weight.defined() ? load(weight) : std::vector<double>(l.C, 1.0);
  const std::vector<double> b = bias.defined() ? load(bias) : std::vector<double>(l.C, 0.0);
  std::vector<double> rm = running_mean.defined() ? load(running_mean) : std::vector<double>();
  std::vector<double> rv = running_var.defined() ? load(running_var) : std::vector<double>();
  std::vector<double> out_v(xv.size()), mean_v(l.C), invstd_v(l.C);
  for (int64_t c = 0; c < l.C; ++c) {
    double mean, var;
    if (training) {
      mean = 0.0;
      for (int64_t i = 0; i < l.N; ++i)
        for (int64_t s = 0; s < l.S; ++s) mean += xv[l.at(i, c, s)];
      mean /= n;
      var = 0.0;
      for (int64_t i = 0; i < l.N; ++i)
        for (int64_t s = 0; s < l.S; ++s) var += (xv[l.at(i, c, s)] - mean) * (xv[l.at(i, c, s)] - mean);
      var /= n;
      if (!rm.empty()) rm[c] = (1 - momentum) * rm[c] + momentum * mean;
      if (!rv.empty()) rv[c] = (1 - momentum) * rv[c] + momentum * var * n / (n - 1);
    } else {
      mean = rm[c];
      var = rv[c];
    }
    mean_v[c] = mean;
    invstd_v[c] = 1.0 / std::sqrt(var + eps);
    for (int64_t i = 0; i < l.N; ++i)
      for (int64_t s = 0; s < l.S; ++s) {
        const int64_t k = l.at(i, c, s);
        out_v[k] = (xv[k] - mean) * invstd_v[c] * w[c] + b[c];
      }
  }
  store(out_v, out);
  store(mean_v, save_mean);
  store(invstd_v, save_invstd);
  if (training && running_mean.defined()) store(rm, running_mean);
  if (training && running_var.defined()) store(rv, running_var);
}

void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                         const Tensor& save_mean, const Tensor& save_invstd, bool training,
                         Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias) {
  const Layout l = layout(x);
  const double n = static_cast<double>(l.N * l.S);
  const std::vector<double> g = load(grad_out), xv = load(x);
  const std::vector<double> mean = load(save_mean), invstd = load(save_invstd);
  const std::vector<double> w = weight.defined() ? load(weight) : std::vector<double>(l.C, 1.0);
  std::vector<double> gx(xv.size()), gw(l.C, 0.0), gb(l.C, 0.0);
  for (int64_t c = 0; c < l.C; ++c) {
    // dL/dxhat, dL/dvar and dL/dmean, with var = 1/invstd^2 - eps.
    double dvar = 0.0, dmean = 0.0, sum_dev = 0.0;
    for (int64_t i = 0; i < l.N; ++i)
      for (int64_t s = 0; s < l.S; ++s) {
        const int64_t k = l.at(i, c, s);
        const double dev = xv[k] - mean[c];
        const double dxhat = g[k] * w[c];
        gw[c] += g[k] * dev * invstd[c];
        gb[c] += g[k];
        dvar += dxhat * dev * -0.5 * std::pow(invstd[c], 3);
        dmean += -dxhat * invstd[c];
        sum_dev += dev;
      }
    dmean += dvar * -2.0 * sum_dev / n;
    for (int64_t i = 0; i < l.N; ++i)
      for (int64_t s = 0; s < l.S; ++s) {
        const int64_t k = l.at(i, c, s);
        gx[k] = g[k] * w[c] * invstd[c];
        if (training) gx[k] += dvar * 2.0 * (xv[k] - mean[c]) / n + dmean / n;
      }
  }
  if (grad_x.defined()) store(gx, grad_x);
  if (grad_weight.defined()) store(gw, grad_weight);
  if (grad_bias.defined()) store(gb, grad_bias);
}

}  // namespace nf::cpu::ref
