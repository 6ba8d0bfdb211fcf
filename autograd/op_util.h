// Shared includes and small helpers of the autograd/ops_*.cpp files (not a
// public header).
#pragma once
#include <vector>

#include "autograd/case_inputs.h"
#include "autograd/functions.h"
#include "autograd/node.h"
#include "autograd/registry.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::autograd {

using Grads = std::vector<Tensor>;

// `t` when `keep`, else undefined: save a tensor only if the gradient that
// reads it can be needed.
inline Tensor keep_if(bool keep, const Tensor& t) { return keep ? t : Tensor{}; }

}  // namespace nf::autograd
