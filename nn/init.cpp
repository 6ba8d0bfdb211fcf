#include "nn/init.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::nn::init {

namespace {

TensorOptions options_of(const Tensor& w) { return {w.dtype(), w.device()}; }

void assign(const Tensor& w, const Tensor& values) {
  autograd::NoGradGuard no_grad;
  raw::copy_(w, values);
}

double kaiming_std(const Tensor& w, double a, FanMode mode, Nonlinearity nl) {
  auto [fan_in, fan_out] = fans(w);
  int64_t fan = mode == FanMode::fan_in ? fan_in : fan_out;
  NF_CHECK(fan > 0, "kaiming init: weight ", shape_str(w.shape()), " has a zero fan");
  return gain(nl, a) / std::sqrt(double(fan));
}

double xavier_std(const Tensor& w, double g) {
  auto [fan_in, fan_out] = fans(w);
  NF_CHECK(fan_in + fan_out > 0, "xavier init: weight ", shape_str(w.shape()), " has zero fans");
  return g * std::sqrt(2.0 / double(fan_in + fan_out));
}

}  // namespace

std::pair<int64_t, int64_t> fans(const Tensor& w) {
  NF_CHECK(w.dim() >= 2, "init: fans need a weight of rank >= 2, got ", shape_str(w.shape()));
  int64_t receptive = 1;
  for (int64_t d = 2; d < w.dim(); ++d) receptive *= w.size(d);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

double gain(Nonlinearity nl, double param) {
  switch (nl) {
    case Nonlinearity::linear:
    case Nonlinearity::sigmoid: return 1.0;
    case Nonlinearity::relu: return std::sqrt(2.0);
    case Nonlinearity::leaky_relu: return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::tanh: return 5.0 / 3.0;
  }
  return 1.0;
}

void uniform_(const Tensor& w, double lo, double hi, Generator* gen) {
  assign(w, uniform(w.shape(), lo, hi, options_of(w), gen));
}
void normal_(const Tensor& w, double mean, double std, Generator* gen) {
  assign(w, normal(w.shape(), mean, std, options_of(w), gen));
}
void constant_(const Tensor& w, double value) {
  autograd::NoGradGuard no_grad;
  raw::fill_(w, value);
}
void zeros_(const Tensor& w) { constant_(w, 0.0); }
void ones_(const Tensor& w) { constant_(w, 1.0); }

void kaiming_uniform_(const Tensor& w, double a, FanMode mode, Nonlinearity nl, Generator* gen) {
  double bound = std::sqrt(3.0) * kaiming_std(w, a, mode, nl);
  uniform_(w, -bound, bound, gen);
}
void kaiming_normal_(const Tensor& w, double a, FanMode mode, Nonlinearity nl, Generator* gen) {
  normal_(w, 0.0, kaiming_std(w, a, mode, nl), gen);
}
void xavier_uniform_(const Tensor& w, double g, Generator* gen) {
  double bound = std::sqrt(3.0) * xavier_std(w, g);
  uniform_(w, -bound, bound, gen);
}
void xavier_normal_(const Tensor& w, double g, Generator* gen) { normal_(w, 0.0, xavier_std(w, g), gen); }

void default_layer_init_(const Tensor& weight, const Tensor& bias, Generator* gen) {
  kaiming_uniform_(weight, std::sqrt(5.0), FanMode::fan_in, Nonlinearity::leaky_relu, gen);
  if (bias.defined()) {
    int64_t fan_in = fans(weight).first;
    double bound = fan_in > 0 ? 1.0 / std::sqrt(double(fan_in)) : 0.0;
    uniform_(bias, -bound, bound, gen);
  }
}

}  // namespace nf::nn::init
