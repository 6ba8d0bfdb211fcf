#include "nn/module.h"

#include <algorithm>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "tensor/ops.h"

namespace nf::nn {

namespace {

// Points every handle of `t` at `src`'s data (same TensorImpl, new storage),
// keeping its autograd metadata: the PyTorch `param.data = ...` idiom.
void replace_data(const Tensor& t, const Tensor& src) {
  TensorImpl& impl = t.impl();
  impl.storage = src.storage();
  impl.shape = src.shape();
  impl.strides = src.strides();
  impl.offset = src.offset();
  impl.dtype = src.dtype();
}

}  // namespace

Tensor Module::forward(const Tensor&) {
  NF_FAIL(type_name_, ": this module has no forward(Tensor); use its own entry points");
}

void Module::check_new_name(const std::string& name, const char* what) const {
  NF_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name_, ": invalid ", what,
           " name '", name, "' (must be non-empty and contain no '.')");
  auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.first == name; });
  };
  NF_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), type_name_, ": ", what,
           " name '", name, "' is already registered");
}

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  check_new_name(name, "parameter");
  NF_CHECK(t.defined(), type_name_, ": parameter '", name, "' is undefined");
  NF_CHECK(is_floating(t.dtype()), type_name_, ": parameter '", name, "' must be floating, got ",
           dtype_name(t.dtype()));
  NF_CHECK(t.is_leaf(), type_name_, ": parameter '", name,
           "' must be a leaf tensor (detach() it first)");
  t.requires_grad_(true);
  params_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t) {
  check_new_name(name, "buffer");
  NF_CHECK(t.defined(), type_name_, ": buffer '", name, "' is undefined");
  buffers_.emplace_back(name, t);
  return t;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
  check_new_name(name, "child module");
  NF_CHECK(m != nullptr, type_name_, ": child module '", name, "' is null");
  children_.emplace_back(name, std::move(m));
}

void Module::collect(const std::string& prefix, bool params, bool bufs, bool recurse,
                     NamedTensors& out) const {
  if (params)
    for (const auto& [n, t] : params_) out.emplace_back(prefix + n, t);
  if (bufs)
    for (const auto& [n, t] : buffers_) out.emplace_back(prefix + n, t);
  if (!recurse) return;
  for (const auto& [n, child] : children_) child->collect(prefix + n + ".", params, bufs, true, out);
}

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors out;
  collect("", true, false, recurse, out);
  return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  collect("", false, true, recurse, out);
  return out;
}

NamedTensors Module::named_state() const {
  NamedTensors out;
  collect("", true, true, true, out);
  return out;
}

// The tensors of `named`, each once (a module shared by two parents lists
// its tensors under two names; an optimizer must still see them once).
static std::vector<Tensor> values_of(const NamedTensors& named) {
  std::vector<Tensor> out;
  std::unordered_set<const TensorImpl*> seen;
  for (const auto& e : named)
    if (seen.insert(e.second.impl_ptr().get()).second) out.push_back(e.second);
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const { return values_of(named_parameters(recurse)); }
std::vector<Tensor> Module::buffers(bool recurse) const { return values_of(named_buffers(recurse)); }

std::vector<std::shared_ptr<Module>> Module::children() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& e : children_) out.push_back(e.second);
  return out;
}

int64_t Module::parameter_count() const {
  int64_t n = 0;
  for (const Tensor& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& e : children_) e.second->train(on);
}

void Module::to(Device device) {
  autograd::NoGradGuard no_grad;
  for (const Tensor& t : values_of(named_state())) {
    replace_data(t, raw::to_device(t, device));
    if (auto& meta = t.impl().autograd; meta && meta->grad.defined())
      meta->grad = raw::to_device(meta->grad, device);
  }
}

Device Module::device() const {
  const NamedTensors state = named_state();
  if (state.empty()) return Device::cpu();
  const auto& [first_name, first] = state.front();
  for (const auto& [name, t] : state)
    NF_CHECK(t.device() == first.device(), type_name_, ": tensors on different devices: '", first_name, "' on ",
             first.device().str(), ", '", name, "' on ", t.device().str(), " (move the module with to(device))");
  return first.device();
}

void Module::to(DType dtype) {
  NF_CHECK(is_floating(dtype), type_name_, ": to(dtype) expects a floating dtype, got ",
           dtype_name(dtype));
  autograd::NoGradGuard no_grad;
  for (const Tensor& t : values_of(named_state())) {
    if (!is_floating(t.dtype())) continue;
    replace_data(t, raw::cast(t, dtype));
    if (auto& meta = t.impl().autograd) meta->grad = Tensor{};
  }
}

void Module::zero_grad() {
  for (const Tensor& p : parameters()) p.zero_grad_();
}

}  // namespace nf::nn
