// nf::Tensor -> TensorArg for the kernels, with dims collapsed jointly over
// all operands so most launches see one or two dims (fewer divisions per
// element, and a contiguous tensor becomes one dense dim).
#pragma once
#include <vector>

#include "cuda/kernels/kernels.h"
#include "tensor/tensor.h"

namespace nf::cuda {

// Descriptors for tensors that all have `shape` (e.g. src and dst of a copy),
// in the order given. Size-1 dims are dropped and dim d is merged into d+1
// when, in every tensor, stride[d] == stride[d+1] * size[d+1]. A tensor with
// no dims left (0-d or all ones) is one dense element. Throws naming `op`
// when more than kMaxDims dims remain.
std::vector<TensorArg> collapsed_args(const Shape& shape, const std::vector<const Tensor*>& ts,
                                      const char* op);

}  // namespace nf::cuda
