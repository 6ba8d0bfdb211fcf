#include "nn/flatten.h"

#include "autograd/functions.h"

namespace nf::nn {

Tensor FlattenImpl::forward(const Tensor& x) { return flatten(x, start_dim, end_dim); }

}  // namespace nf::nn
