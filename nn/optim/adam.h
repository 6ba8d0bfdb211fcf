// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), as PyTorch:
//   Adam:  g += weight_decay * p                 (L2 penalty through the gradient)
//   AdamW: p *= 1 - lr * weight_decay            (decoupled decay)
//   m = beta1 m + (1 - beta1) g,  v = beta2 v + (1 - beta2) g^2   (both start at 0)
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// t is the optimizer's step count (shared by all parameters).
#pragma once
#include "nn/optim/optimizer.h"

namespace nf::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions opts = {});
  NamedTensors state_tensors() const override;  // "<i>.exp_avg", "<i>.exp_avg_sq"
  const AdamOptions options;

 protected:
  Adam(std::vector<Tensor> params, AdamOptions opts, std::string type_name, bool decoupled);
  void update(size_t i, const Tensor& param, const Tensor& grad) override;

 private:
  bool decoupled_;
  std::vector<Tensor> exp_avg_, exp_avg_sq_;
};

// AdamW's options differ only in the default decay (PyTorch's 1e-2).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions opts = {});
};

}  // namespace nf::optim
