#include "nn/optim/sgd.h"

#include <initializer_list>

#include "tensor/backend.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::optim {

namespace {

// The fused kernel applies when the backend has one and every (defined)
// tensor is a contiguous f32/f64 tensor on the parameter's device.
bool fused_update_possible(std::initializer_list<const Tensor*> ts) {
  const Tensor& p = **ts.begin();
  if (!is_floating(p.dtype()) || backend_for(p.device()).fused() == nullptr) return false;
  for (const Tensor* t : ts)
    if (t->defined() && (!t->is_contiguous() || t->device() != p.device() || t->dtype() != p.dtype()))
      return false;
  return true;
}

}  // namespace

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

// The fused kernel (FusedBackend::sgd_step) performs exactly the op sequence
// below, element by element in the same dtype and order, in one pass; the op
// sequence stays as the reference and the path for non-contiguous tensors or
// backends without fused kernels.
void SGD::update(size_t i, const Tensor& p, const Tensor& g) {
  Tensor buf = options.momentum != 0 ? momentum_buffers_[i] : Tensor{};
  if (fused_update_possible({&p, &g, &buf})) {
    Tensor param = p;
    backend_for(p.device()).fused()->sgd_step(param, g, buf, lr(), options.momentum,
                                              options.weight_decay, options.nesterov);
    p.bump_version();
    if (buf.defined()) buf.bump_version();
    return;
  }
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
