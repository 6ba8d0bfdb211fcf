// Linear: y = x W^T + b, x [*, in] -> y [*, out]; weight [out, in], bias [out].
#pragma once
#include <memory>

#include "nn/module.h"

namespace nf::nn {

class LinearImpl : public Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;  // bias undefined when disabled
  const int64_t in_features, out_features;
};

inline std::shared_ptr<LinearImpl> Linear(int64_t in_features, int64_t out_features, bool bias = true) {
  return std::make_shared<LinearImpl>(in_features, out_features, bias);
}

}  // namespace nf::nn
