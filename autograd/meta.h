// AutogradMeta: the autograd state of one tensor, attached to
// TensorImpl::autograd the first time autograd needs it.
//  - a leaf (grad_fn null) may require grad; its gradient accumulates in
//    `grad` across backward() calls until zero_grad_().
//  - a non-leaf is output `output_nr` of the Node `grad_fn` that produced it;
//    it always requires grad and never stores a gradient.
#pragma once
#include <cstdint>
#include <memory>

#include "tensor/tensor.h"

namespace nf::autograd {

struct Node;

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  uint32_t output_nr = 0;
};

}  // namespace nf::autograd
