// Naive softmax, log-softmax and NLL: the oracles of tensor/cpu/softmax.cpp.
// Plain loops in double; the backward multiplies by the full per-row Jacobian
// (O(C^2)) instead of using the closed form of the fast kernel.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/cpu/reference.h"

namespace nf::cpu::ref {
namespace {

std::vector<double> load(const Tensor& t) {
  std::vector<double> v(t.numel());
  dispatch_floating(t.dtype(), "ref softmax", [&](auto tag) {
    const auto* p = t.data<decltype(tag)>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(p[i]);
  });
  return v;
}

void store(const std::vector<double>& v, Tensor& t) {
  dispatch_floating(t.dtype(), "ref softmax", [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<T>(v[i]);
  });
}

void check_rows(const Tensor& x, const char* op) {
  NF_CHECK(x.dim() == 2 && x.is_contiguous(), op, ": expected a contiguous [R,C] tensor, got ",
           shape_str(x.shape()));
}

// The NLL targets, validated as the fast kernel does.
std::vector<int64_t> targets(const Tensor& target, int64_t C, int64_t ignore_index, const char* op) {
  const int64_t* t = target.data<int64_t>();
  std::vector<int64_t> v(t, t + target.numel());
  for (size_t i = 0; i < v.size(); ++i)
    NF_CHECK(v[i] == ignore_index || (v[i] >= 0 && v[i] < C), op, ": target ", v[i], " at row ", i,
             " is out of range [0,", C, ")");
  return v;
}

}  // namespace

void softmax(const Tensor& x, bool log, Tensor& out) {
  check_rows(x, "ref softmax");
  const int64_t R = x.size(0), C = x.size(1);
  const std::vector<double> xv = load(x);
  std::vector<double> y(xv.size());
  for (int64_t i = 0; i < R; ++i) {
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < C; ++j) m = std::max(m, xv[i * C + j]);
    double sum = 0.0;
    for (int64_t j = 0; j < C; ++j) sum += std::exp(xv[i * C + j] - m);
    for (int64_t j = 0; j < C; ++j) {
      const double z = xv[i * C + j] - m;
      y[i * C + j] = log ? z - std::log(sum) : std::exp(z) / sum;
    }
  }
  store(y, out);
}

void softmax_backward(const Tensor& grad_out, const Tensor& y, bool log, Tensor& grad_x) {
  check_rows(y, "ref softmax_backward");
  const int64_t R = y.size(0), C = y.size(1);
  const std::vector<double> g = load(grad_out), yv = load(y);
  std::vector<double> gx(yv.size(), 0.0);
  for (int64_t r = 0; r < R; ++r) {
    const double* gr = &g[r * C];
    const double* yr = &yv[r * C];
    for (int64_t j = 0; j < C; ++j)      // input index
      for (int64_t i = 0; i < C; ++i) {  // output index
        // softmax: dy_i/dx_j = p_i (delta_ij - p_j); log_softmax: delta_ij - p_j.
        const double delta = i == j ? 1.0 : 0.0;
        const double jac = log ? delta - std::exp(yr[j]) : yr[i] * (delta - yr[j]);
        gx[r * C + j] += gr[i] * jac;
      }
  }
  store(gx, grad_x);
}

void nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index, Tensor& out) {
  check_rows(logp, "ref nll_loss");
  const int64_t C = logp.size(1);
  const std::vector<double> lp = load(logp);
  const std::vector<int64_t> t = targets(target, C, ignore_index, "ref nll_loss");
  double sum = 0.0;
  int64_t count = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == ignore_index) continue;
    sum -= lp[i * C + t[i]];
    ++count;
  }
  store({count ? sum / count : std::numeric_limits<double>::quiet_NaN()}, out);
}

void nll_loss_backward(const Tensor& grad_out, const Tensor& target, int64_t ignore_index,
                       Tensor& grad_logp) {
  check_rows(grad_logp, "ref nll_loss_backward");
  const int64_t C = grad_logp.size(1);
  const std::vector<int64_t> t = targets(target, C, ignore_index, "ref nll_loss_backward");
  const double g = load(grad_out)[0];
  int64_t count = 0;
  for (int64_t v : t) count += v != ignore_index;
  std::vector<double> gx(grad_logp.numel(), 0.0);
  for (size_t i = 0; i < t.size(); ++i)
    if (t[i] != ignore_index) gx[i * C + t[i]] = -g / count;
  store(gx, grad_logp);
}

}  // namespace nf::cpu::ref
