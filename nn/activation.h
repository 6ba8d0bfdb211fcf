// Parameter-free elementwise modules: ReLU, Tanh, Sigmoid and Identity.
#pragma once
#include <memory>

#include "nn/module.h"

namespace nf::nn {

class ReLUImpl : public Module {
 public:
  ReLUImpl() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
};

class TanhImpl : public Module {
 public:
  TanhImpl() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
};

class SigmoidImpl : public Module {
 public:
  SigmoidImpl() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
};

class IdentityImpl : public Module {
 public:
  IdentityImpl() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
};

inline std::shared_ptr<ReLUImpl> ReLU() { return std::make_shared<ReLUImpl>(); }
inline std::shared_ptr<TanhImpl> Tanh() { return std::make_shared<TanhImpl>(); }
inline std::shared_ptr<SigmoidImpl> Sigmoid() { return std::make_shared<SigmoidImpl>(); }
inline std::shared_ptr<IdentityImpl> Identity() { return std::make_shared<IdentityImpl>(); }

}  // namespace nf::nn
