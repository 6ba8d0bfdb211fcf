#include "nas/mixed_op.h"

#include <nlohmann/json.hpp>
#include <unordered_set>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "nn/darts_ops.h"
#include "tensor/error.h"
#include "tensor/ops.h"

namespace nf::nas {

MixedOpImpl::MixedOpImpl(std::vector<std::shared_ptr<nn::Module>> ops) : nn::Module("MixedOp") {
  NF_CHECK(!ops.empty(), "MixedOp: needs at least one candidate op");
  ops_ = register_module("_ops", nn::ModuleList());
  for (auto& op : ops) {
    NF_CHECK(op != nullptr, "MixedOp: candidate op ", ops_->size(), " is null");
    zero_.push_back(std::dynamic_pointer_cast<nn::ZeroImpl>(op) != nullptr);
    ops_->push_back(std::move(op));
  }
}

Tensor MixedOpImpl::forward(const Tensor& x, const Tensor& weights) {
  NF_CHECK(weights.dim() == 1 && weights.size(0) == num_ops(), "MixedOp: expected weights [", num_ops(),
           "], got ", shape_str(weights.shape()));
  Tensor out;
  for (int64_t k = 0; k < num_ops(); ++k) {
    if (zero_[size_t(k)]) continue;  // w_k * 0 adds nothing and passes no gradient
    Tensor h = mul(op(k)->forward(x), select(weights, 0, k));  // 0-d weight broadcast over [N, C, H, W]
    out = out.defined() ? add(out, h) : h;
  }
  // Only zero ops: the (all-zero) output of the first, for its shape.
  if (!out.defined()) out = mul(op(0)->forward(x), select(weights, 0, 0));
  return out;
}

std::vector<Tensor> SupernetImpl::arch_parameters() const {
  std::vector<Tensor> out;
  for (const auto& [name, a] : alphas_) out.push_back(a);
  return out;
}

std::vector<Tensor> SupernetImpl::weight_parameters() const {
  std::unordered_set<const TensorImpl*> arch;
  for (const auto& [name, a] : alphas_) arch.insert(a.impl_ptr().get());
  std::vector<Tensor> out;
  for (const Tensor& p : parameters())
    if (!arch.count(p.impl_ptr().get())) out.push_back(p);
  return out;
}

Tensor SupernetImpl::register_alpha(const std::string& name, Tensor init) {
  NF_CHECK(init.dim() == 2, "supernet: alpha '", name, "' must be [edges, ops], got ", shape_str(init.shape()));
  Tensor a = register_parameter("alphas_" + name, std::move(init));
  alphas_.emplace_back(name, a);
  return a;
}

Tensor alpha_weights(const Tensor& alpha) {
  autograd::NoGradGuard no_grad;
  return raw::softmax(alpha.detach(), alpha.dim() - 1);
}

nlohmann::json SupernetImpl::alphas_json() const {
  nlohmann::json j = {{"ops", op_names()}, {"edges", edge_names()}};
  for (const auto& [name, a] : alphas_) {
    const Tensor w = alpha_weights(a);
    const std::vector<double> v = w.to_vector<double>();
    const int64_t rows = w.size(0), cols = w.size(1);
    nlohmann::json m = nlohmann::json::array();
    for (int64_t r = 0; r < rows; ++r)
      m.push_back(std::vector<double>(v.begin() + r * cols, v.begin() + (r + 1) * cols));
    j[name] = std::move(m);
  }
  return j;
}

}  // namespace nf::nas
