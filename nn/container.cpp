#include "nn/container.h"

#include <string>

namespace nf::nn {

namespace {

const std::shared_ptr<Module>& child_at(const Module& m, size_t i) {
  const auto& children = m.named_children();
  NF_CHECK(i < children.size(), m.type_name(), ": index ", i, " out of range for ", children.size(),
           " modules");
  return children[i].second;
}

}  // namespace

void SequentialImpl::push_back(std::shared_ptr<Module> m) {
  register_module(std::to_string(size()), std::move(m));
}

const std::shared_ptr<Module>& SequentialImpl::operator[](size_t i) const { return child_at(*this, i); }

Tensor SequentialImpl::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& [name, m] : named_children()) {
    try {
      y = m->forward(y);
    } catch (const Error& e) {  // say which stage failed
      NF_FAIL("Sequential: module ", name, " (", m->type_name(), "): ", e.what());
    }
  }
  return y;
}

void ModuleListImpl::push_back(std::shared_ptr<Module> m) {
  register_module(std::to_string(size()), std::move(m));
}

const std::shared_ptr<Module>& ModuleListImpl::operator[](size_t i) const { return child_at(*this, i); }

}  // namespace nf::nn
