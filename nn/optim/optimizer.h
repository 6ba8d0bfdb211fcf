// Optimizer base. An optimizer updates its parameters in place from their
// accumulated .grad(), under NoGradGuard with nf::raw in-place ops; a
// parameter without a gradient (unused in the last backward) is skipped.
//
// Checkpointing: state_tensors() names every state tensor ("<i>.<kind>", i =
// the parameter's index in the list given to the constructor) and returns
// handles to the live buffers, so loading copies into them; state_metadata()
// and load_metadata() carry the scalars (type, step count, lr). All state is
// allocated (zero) at construction, so the set of names never changes.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tensor/tensor.h"

namespace nf::optim {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using Metadata = std::map<std::string, std::string>;

class Optimizer {
 public:
  Optimizer(std::vector<Tensor> params, std::string type_name, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Drops every parameter's accumulated gradient.
  void zero_grad();
  // One update of every parameter that has a gradient; counts the step.
  void step();

  double lr() const { return lr_; }
  void set_lr(double lr);
  int64_t step_count() const { return step_count_; }
  const std::string& type_name() const { return type_name_; }
  const std::vector<Tensor>& params() const { return params_; }

  virtual NamedTensors state_tensors() const = 0;
  // {"type", "step", "lr"}.
  Metadata state_metadata() const;
  // Restores step and lr; throws when the type differs or a value is malformed.
  void load_metadata(const Metadata& meta);

 protected:
  // Updates parameter i (which has gradient `grad`) for step number
  // step_count() (1 for the first step).
  virtual void update(size_t i, const Tensor& param, const Tensor& grad) = 0;

 private:
  std::vector<Tensor> params_;
  std::string type_name_;
  double lr_;
  int64_t step_count_ = 0;
};

// Scales every gradient by max_norm / (total + 1e-6) when the L2 norm of all
// gradients together (total) exceeds max_norm; returns total (before clipping).
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);

}  // namespace nf::optim
