#include "nn/optim/adam.h"

#include <cmath>

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

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Adam(std::move(params), o, "Adam", false) {}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o)
    : Adam(std::move(params), {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay}, "AdamW", true) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions o, std::string type_name, bool decoupled)
    : Optimizer(std::move(params), type_name, o.lr), options(o), decoupled_(decoupled) {
  NF_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, type_name,
           ": betas must be in [0, 1), got ", o.beta1, " and ", o.beta2);
  NF_CHECK(o.eps >= 0 && o.weight_decay >= 0, type_name, ": eps and weight_decay must be non-negative, got ",
           o.eps, " and ", o.weight_decay);
  for (const Tensor& p : this->params()) {
    exp_avg_.push_back(zeros_like(p));
    exp_avg_sq_.push_back(zeros_like(p));
  }
}

NamedTensors Adam::state_tensors() const {
  NamedTensors out;
  for (size_t i = 0; i < exp_avg_.size(); ++i) {
    out.emplace_back(std::to_string(i) + ".exp_avg", exp_avg_[i]);
    out.emplace_back(std::to_string(i) + ".exp_avg_sq", exp_avg_sq_[i]);
  }
  return out;
}

// The fused kernel (FusedBackend::adam_step) performs exactly the op sequence
// below, element by element in the same dtype and order, in one pass; the op
// sequence stays as the reference and the path for non-contiguous tensors or
// backends without fused kernels.
void Adam::update(size_t i, const Tensor& p, const Tensor& grad) {
  const AdamOptions& o = options;
  if (fused_update_possible({&p, &grad, &exp_avg_[i], &exp_avg_sq_[i]})) {
    Tensor param = p, m = exp_avg_[i], v = exp_avg_sq_[i];
    backend_for(p.device()).fused()->adam_step(param, grad, m, v, lr(), o.beta1, o.beta2, o.eps,
                                               o.weight_decay, decoupled_, step_count());
    p.bump_version();
    m.bump_version();
    v.bump_version();
    return;
  }
  Tensor g = grad;
  if (o.weight_decay != 0) {
    if (decoupled_) {
      raw::mul_(p, 1.0 - lr() * o.weight_decay);
    } else {
      g = raw::clone(grad);
      raw::add_(g, p, o.weight_decay);
    }
  }
  const Tensor& m = exp_avg_[i];
  const Tensor& v = exp_avg_sq_[i];
  raw::mul_(m, o.beta1);
  raw::add_(m, g, 1.0 - o.beta1);
  raw::mul_(v, o.beta2);
  raw::add_(v, raw::unary(UnaryOp::square, g), 1.0 - o.beta2);

  const double t = double(step_count());
  const double bias1 = 1.0 - std::pow(o.beta1, t);
  const double bias2 = 1.0 - std::pow(o.beta2, t);
  Tensor denom = raw::add_scalar(raw::mul_scalar(raw::sqrt(v), 1.0 / std::sqrt(bias2)), o.eps);
  raw::add_(p, raw::div(m, denom), -lr() / bias1);
}

}  // namespace nf::optim
