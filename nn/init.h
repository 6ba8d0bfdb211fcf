// Parameter initialisers (in place, without recording a graph). Random ones
// draw from `gen`, or from nf::default_generator() when it is null, so
// nf::manual_seed() makes model construction reproducible.
//
// Fans follow PyTorch: for a weight [out, in, *kernel], fan_in = in * prod(kernel)
// and fan_out = out * prod(kernel).
#pragma once
#include <cstdint>
#include <utility>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace nf::nn::init {

enum class FanMode { fan_in, fan_out };
enum class Nonlinearity { linear, relu, leaky_relu, tanh, sigmoid };

// (fan_in, fan_out) of a weight of rank >= 2; throws for lower ranks.
std::pair<int64_t, int64_t> fans(const Tensor& w);
// The recommended gain (PyTorch's calculate_gain); `param` is leaky_relu's slope.
double gain(Nonlinearity nl, double param = 0.01);

void uniform_(const Tensor& w, double lo, double hi, Generator* gen = nullptr);
void normal_(const Tensor& w, double mean, double std, Generator* gen = nullptr);
void constant_(const Tensor& w, double value);
void zeros_(const Tensor& w);
void ones_(const Tensor& w);

// He et al. 2015: std = gain / sqrt(fan); uniform bound = sqrt(3) * std.
// `a` is the negative slope used when nl == leaky_relu.
void kaiming_uniform_(const Tensor& w, double a = 0, FanMode mode = FanMode::fan_in,
                      Nonlinearity nl = Nonlinearity::leaky_relu, Generator* gen = nullptr);
void kaiming_normal_(const Tensor& w, double a = 0, FanMode mode = FanMode::fan_in,
                     Nonlinearity nl = Nonlinearity::leaky_relu, Generator* gen = nullptr);
// Glorot & Bengio 2010: std = gain * sqrt(2 / (fan_in + fan_out)).
void xavier_uniform_(const Tensor& w, double gain = 1.0, Generator* gen = nullptr);
void xavier_normal_(const Tensor& w, double gain = 1.0, Generator* gen = nullptr);

// PyTorch's default for Linear/Conv2d: kaiming_uniform_(a = sqrt(5)) on the
// weight, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the same bound for the bias.
void default_layer_init_(const Tensor& weight, const Tensor& bias, Generator* gen = nullptr);

}  // namespace nf::nn::init
