// Dropout and drop-path (stochastic depth). Both act only in training mode and
// scale the kept values by 1 / (1 - p), so eval is the identity and the
// expected output equals the input. Masks are drawn from `gen` (null: the
// default generator); the module does not own the generator, which must
// outlive it.
//   dropout:   each element kept with probability 1 - p.
//   drop_path: each sample (dim 0) kept whole with probability 1 - p, as DARTS
//              applies it to the output of a cell's operation.
#pragma once
#include <memory>

#include "nn/module.h"
#include "tensor/random.h"

namespace nf::nn {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen = nullptr);
Tensor drop_path(const Tensor& x, double p, bool training, Generator* gen = nullptr);

class DropoutImpl : public Module {
 public:
  explicit DropoutImpl(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  double p;  // may be changed between steps (e.g. a drop-path schedule)

 private:
  Generator* gen_;
};

class DropPathImpl : public Module {
 public:
  explicit DropPathImpl(double p = 0.0, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  double p;

 private:
  Generator* gen_;
};

inline std::shared_ptr<DropoutImpl> Dropout(double p = 0.5, Generator* gen = nullptr) {
  return std::make_shared<DropoutImpl>(p, gen);
}
inline std::shared_ptr<DropPathImpl> DropPath(double p = 0.0, Generator* gen = nullptr) {
  return std::make_shared<DropPathImpl>(p, gen);
}

}  // namespace nf::nn
