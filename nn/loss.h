// Losses, built on the differentiable ops (autograd/functions.h).
#pragma once
#include <cstdint>

#include "tensor/tensor.h"

namespace nf::nn {

struct CrossEntropyOptions {
  // Szegedy et al. 2016: the target distribution puts 1 - s on the label and
  // s / C on every class (PyTorch's label_smoothing), so
  //   loss = (1 - s) * nll + s * mean_c(-log_softmax).
  double label_smoothing = 0.0;
  int64_t ignore_index = -100;  // rows with this target count neither in the loss nor the mean
};

// logits [N, C], target i64 [N] -> scalar: mean over the non-ignored rows.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& opts = {});
// mean((pred - target)^2) over all elements; same shapes.
Tensor mse(const Tensor& pred, const Tensor& target);

}  // namespace nf::nn
