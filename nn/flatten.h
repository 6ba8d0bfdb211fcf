// Flatten: merges dims start_dim..end_dim, by default [N, C, H, W] -> [N, C*H*W]
// between a conv stack and a Linear classifier.
#pragma once
#include <memory>

#include "nn/module.h"

namespace nf::nn {

class FlattenImpl : public Module {
 public:
  explicit FlattenImpl(int64_t start_dim = 1, int64_t end_dim = -1)
      : Module("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) override;
  const int64_t start_dim, end_dim;
};

inline std::shared_ptr<FlattenImpl> Flatten(int64_t start_dim = 1, int64_t end_dim = -1) {
  return std::make_shared<FlattenImpl>(start_dim, end_dim);
}

}  // namespace nf::nn
