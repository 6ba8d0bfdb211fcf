// SGD with momentum (dampening 0), Nesterov momentum and L2 weight decay,
// as PyTorch's torch.optim.SGD:
//   d = g + weight_decay * p
//   buf = momentum * buf + d                       (buf starts at 0)
//   d = nesterov ? d + momentum * buf : buf        (when momentum != 0)
//   p -= lr * d
#pragma once
#include "nn/optim/optimizer.h"

namespace nf::optim {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions opts = {});
  NamedTensors state_tensors() const override;  // "<i>.momentum_buffer" when momentum != 0
  const SGDOptions options;

 protected:
  void update(size_t i, const Tensor& param, const Tensor& grad) override;

 private:
  std::vector<Tensor> momentum_buffers_;
};

}  // namespace nf::optim
