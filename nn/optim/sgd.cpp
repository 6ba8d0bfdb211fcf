#include "nn/optim/sgd.h"

#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions o) : Optimizer(std::move(params), "SGD", o.lr), options(o) {
  NF_CHECK(o.momentum >= 0 && o.weight_decay >= 0, "SGD: momentum and weight_decay must be non-negative, got ",
           o.momentum, " and ", o.weight_decay);
  NF_CHECK(!o.nesterov || o.momentum > 0, "SGD: Nesterov momentum needs momentum > 0");
  if (o.momentum != 0)
    for (const Tensor& p : this->params()) momentum_buffers_.push_back(zeros_like(p));
}

NamedTensors SGD::state_tensors() const {
  NamedTensors out;
  for (size_t i = 0; i < momentum_buffers_.size(); ++i)
    out.emplace_back(std::to_string(i) + ".momentum_buffer", momentum_buffers_[i]);
  return out;
}

void SGD::update(size_t i, const Tensor& p, const Tensor& g) {
  Tensor d = g;
  if (options.weight_decay != 0) {
    d = raw::clone(g);
    raw::add_(d, p, options.weight_decay);
  }
  if (options.momentum != 0) {
    const Tensor& buf = momentum_buffers_[i];
    raw::mul_(buf, options.momentum);
    raw::add_(buf, d);
    if (options.nesterov) {
      if (d.same_data(g)) d = raw::clone(g);  // never write into the gradient
      raw::add_(d, buf, options.momentum);
    } else {
      d = buf;
    }
  }
  raw::add_(p, d, -lr());
}

}  // namespace nf::optim
