// nn::Module: the base of every layer and network. A module owns named
// parameters (leaf tensors that require grad), named buffers (state that is
// saved but not trained, e.g. BatchNorm running statistics) and named child
// modules, each in registration order. Modules live in std::shared_ptr.
//
// Naming convention: each layer is a class `XxxImpl` with a factory function
// `Xxx(...)` returning std::shared_ptr<XxxImpl>, so that
//   auto net = nn::Sequential(nn::Conv2d(1, 32, 3, {.padding = 1}), nn::ReLU());
//   net->forward(x);
// reads like PyTorch. A custom module derives from Module and registers its
// pieces in its constructor:
//   weight = register_parameter("weight", nf::zeros({10, 32}));
//   fc = register_module("fc", nn::Linear(32, 10));
// Registration returns a handle that shares the tensor (or module), so the
// member and the registry stay the same object; to(Device)/to(DType) swap the
// data of those shared tensors in place and every handle follows.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace nf::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  explicit Module(std::string type_name = "Module") : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The computation. The default throws: modules without a single-tensor
  // forward (ModuleList, LSTMCell with state) offer their own entry points.
  virtual Tensor forward(const Tensor& x);

  // The layer's kind ("Conv2d", "Sequential", ...), for messages.
  const std::string& type_name() const { return type_name_; }

  // --- registration (in the constructor of a module) --------------------------
  // Names are non-empty, contain no '.', and are unique within this module
  // across parameters, buffers and children.
  // A parameter is made a leaf that requires grad (it must be floating).
  Tensor register_parameter(const std::string& name, Tensor t);
  Tensor register_buffer(const std::string& name, Tensor t);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }

  // --- traversal: this module's entries first, then each child's, recursively;
  // names are dotted paths ("features.0.weight").
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedTensors named_parameters(bool recurse = true) const;
  std::vector<Tensor> buffers(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  // Parameters and buffers of each module in turn: what a checkpoint holds.
  NamedTensors named_state() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const {
    return children_;
  }
  std::vector<std::shared_ptr<Module>> children() const;
  int64_t parameter_count() const;  // total number of parameter elements

  // --- mode and placement -------------------------------------------------------
  void train(bool on = true);  // recursive
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Moves every parameter, buffer and accumulated gradient (recursively).
  // Build optimizers after moving: their state is not moved (optimizers make
  // their state with zeros_like(param), so it lands on the parameter's device).
  void to(Device device);
  // Where the parameters and buffers live: cpu for a module without any.
  // Throws naming two tensors when they lie on different devices.
  Device device() const;
  // Casts floating parameters and buffers (e.g. to f64 for gradchecks); drops gradients.
  void to(DType dtype);
  // Drops the accumulated gradient of every parameter (recursively).
  void zero_grad();

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> m);
  void check_new_name(const std::string& name, const char* what) const;
  void collect(const std::string& prefix, bool params, bool bufs, bool recurse, NamedTensors& out) const;

  std::string type_name_;
  bool training_ = true;
  NamedTensors params_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

}  // namespace nf::nn
