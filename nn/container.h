// Containers. Sequential runs its children in order (children are named
// "0", "1", ...); ModuleList only holds and registers modules, for networks
// whose forward indexes them (cells of a NAS network, candidate ops).
#pragma once
#include <memory>
#include <utility>

#include "nn/module.h"

namespace nf::nn {

class SequentialImpl : public Module {
 public:
  SequentialImpl() : Module("Sequential") {}
  template <typename... Ms>
  explicit SequentialImpl(std::shared_ptr<Ms>... modules) : Module("Sequential") {
    (push_back(std::move(modules)), ...);
  }
  void push_back(std::shared_ptr<Module> m);
  Tensor forward(const Tensor& x) override;

  size_t size() const { return named_children().size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const;
};

class ModuleListImpl : public Module {
 public:
  ModuleListImpl() : Module("ModuleList") {}
  template <typename... Ms>
  explicit ModuleListImpl(std::shared_ptr<Ms>... modules) : Module("ModuleList") {
    (push_back(std::move(modules)), ...);
  }
  void push_back(std::shared_ptr<Module> m);

  size_t size() const { return named_children().size(); }
  const std::shared_ptr<Module>& operator[](size_t i) const;
  // Child i as its concrete type; throws when it is not an M.
  template <typename M>
  std::shared_ptr<M> at(size_t i) const {
    auto m = std::dynamic_pointer_cast<M>((*this)[i]);
    NF_CHECK(m != nullptr, "ModuleList: element ", i, " is a ", (*this)[i]->type_name(),
             ", not the requested type");
    return m;
  }
};

template <typename... Ms>
std::shared_ptr<SequentialImpl> Sequential(std::shared_ptr<Ms>... modules) {
  return std::make_shared<SequentialImpl>(std::move(modules)...);
}
template <typename... Ms>
std::shared_ptr<ModuleListImpl> ModuleList(std::shared_ptr<Ms>... modules) {
  return std::make_shared<ModuleListImpl>(std::move(modules)...);
}

}  // namespace nf::nn
