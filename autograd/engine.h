// The backward engine.
//
// Contract: gradients of leaves (parameters) ACCUMULATE in their .grad()
// across backward() calls until zero_grad_() — so a training loop calls
// zero_grad before each backward, and gradient accumulation over micro-batches
// is simply several backward() calls. autograd::grad() returns gradients
// without touching any .grad().
//
// A backward pass runs the nodes reachable from the roots in topological
// order (iterative DFS, so deep graphs need no deep recursion), sums the
// gradients arriving at each node output, and releases each node's saved
// tensors after it runs unless retain_graph is set; going through a released
// node again throws.
//
// Higher-order gradients (create_graph) are not supported: backward functions
// run with grad mode off and saved tensors carry no history. (DARTS'
// second-order step uses a finite-difference Hessian-vector product instead.)
#pragma once
#include <vector>

#include "tensor/tensor.h"

namespace nf::autograd {

// Backpropagates from `roots`; grad_roots[i] (default: ones for a 1-element
// root) is d(objective)/d(roots[i]). Leaves that require grad accumulate.
void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots = {},
              bool retain_graph = false);

// Gradients of sum_i <grad_outputs[i], outputs[i]> w.r.t. each of `inputs`
// (leaves or not), leaving every .grad() untouched. Only the part of the graph
// that leads to `inputs` runs. An input that the outputs do not depend on
// throws, unless allow_unused (then its gradient is undefined).
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                         bool allow_unused = false);

}  // namespace nf::autograd
