#include "nn/optim/optimizer.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "tensor/ops.h"

namespace nf::optim {

Optimizer::Optimizer(std::vector<Tensor> params, std::string type_name, double lr)
    : params_(std::move(params)), type_name_(std::move(type_name)), lr_(lr) {
  NF_CHECK(lr >= 0, type_name_, ": learning rate must be non-negative, got ", lr);
  std::unordered_set<const TensorImpl*> seen;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    NF_CHECK(p.defined() && p.is_leaf() && p.requires_grad(), type_name_, ": parameter ", i,
             " must be a leaf tensor that requires grad");
    NF_CHECK(seen.insert(p.impl_ptr().get()).second, type_name_, ": parameter ", i,
             " appears twice (it would be updated twice per step)");
  }
}

void Optimizer::zero_grad() {
  for (const Tensor& p : params_) p.zero_grad_();
}

void Optimizer::set_lr(double lr) {
  NF_CHECK(lr >= 0, type_name_, ": learning rate must be non-negative, got ", lr);
  lr_ = lr;
}

void Optimizer::step() {
  autograd::NoGradGuard no_grad;
  ++step_count_;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    NF_CHECK(g.shape() == params_[i].shape() && g.dtype() == params_[i].dtype(), type_name_,
             ": gradient of parameter ", i, " is ", dtype_name(g.dtype()), " ", shape_str(g.shape()),
             " but the parameter is ", dtype_name(params_[i].dtype()), " ", shape_str(params_[i].shape()));
    update(i, params_[i], g);
  }
}

Metadata Optimizer::state_metadata() const {
  char lr[64];
  std::snprintf(lr, sizeof lr, "%.17g", lr_);  // round-trips exactly
  return {{"type", type_name_}, {"step", std::to_string(step_count_)}, {"lr", lr}};
}

void Optimizer::load_metadata(const Metadata& meta) {
  auto get = [&](const std::string& key) {
    auto it = meta.find(key);
    NF_CHECK(it != meta.end(), type_name_, ": optimizer state lacks '", key, "'");
    return it->second;
  };
  const std::string type = get("type");
  NF_CHECK(type == type_name_, type_name_, ": cannot load the state of a ", type, " optimizer");
  const std::string step = get("step"), lr = get("lr");
  char* end = nullptr;
  long long s = std::strtoll(step.c_str(), &end, 10);
  NF_CHECK(!step.empty() && *end == '\0' && s >= 0, type_name_, ": malformed step count '", step, "'");
  double r = std::strtod(lr.c_str(), &end);
  NF_CHECK(!lr.empty() && *end == '\0' && r >= 0, type_name_, ": malformed learning rate '", lr, "'");
  step_count_ = s;
  lr_ = r;
}

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  NF_CHECK(max_norm > 0, "clip_grad_norm_: max_norm must be positive, got ", max_norm);
  autograd::NoGradGuard no_grad;
  std::vector<Tensor> grads;
  double sq = 0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    grads.push_back(g);
    sq += raw::sum(raw::unary(UnaryOp::square, g)).item();  // per-tensor sums in g's dtype, total in double
  }
  const double total = std::sqrt(sq);
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0)
    for (const Tensor& g : grads) raw::mul_(g, coef);
  return total;
}

}  // namespace nf::optim
