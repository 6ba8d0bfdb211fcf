// The graph: every non-leaf tensor points (AutogradMeta::grad_fn) at the Node
// that produced it; a Node points at its inputs through Edges. A Node holds
// only what its backward reads (SavedTensors) plus small non-tensor values
// captured by its backward function.
//
// Ops build nodes with record():
//
//   Tensor mul(const Tensor& a, const Tensor& b) {
//     Tensor out = raw::mul(a, b);
//     return record(kMul, {a, b}, out, {a, b}, [](const BackwardContext& c) {
//       const Tensor& g = c.grad_output();
//       return std::vector<Tensor>{
//           c.needs_input_grad(0) ? raw::sum_to(raw::mul(g, c.saved(1)), c.input_shape(0)) : Tensor{},
//           c.needs_input_grad(1) ? raw::sum_to(raw::mul(g, c.saved(0)), c.input_shape(1)) : Tensor{}};
//     });
//   }
//
// Backward functions must not capture Tensors (that would bypass the version
// check and keep them alive after the graph is released): pass them as saved.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/meta.h"
#include "autograd/registry.h"
#include "tensor/tensor.h"

namespace nf::autograd {

struct Node;

// Where the gradient of one input goes: output `slot` of `node` for a
// non-leaf input, or the leaf's own meta (accumulation) for a leaf. Neither
// is set when the input needs no gradient.
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t slot = 0;
  std::shared_ptr<AutogradMeta> leaf;
  bool valid() const { return node != nullptr || leaf != nullptr; }
};

// The edge a gradient for `t` flows along (invalid if t is undefined or does
// not require grad).
Edge edge_of(const Tensor& t);

// Shape, dtype and device of a node's input or output: backward results are
// checked against the inputs', missing output gradients are zero-filled from
// the outputs'.
struct TensorInfo {
  Shape shape;
  DType dtype = DType::f32;
  Device device;
};

// A tensor saved for backward, with the storage version at save time. It keeps
// a history-free alias of the tensor (same data), so a node saving its own
// output makes no reference cycle.
class SavedTensor {
 public:
  SavedTensor() = default;
  explicit SavedTensor(const Tensor& t);
  // Throws when the data was modified in place since it was saved.
  Tensor unpack(const std::string& op) const;

 private:
  Tensor data_;
  uint64_t version_ = 0;
};

class BackwardContext;
// Returns one gradient per input (undefined where not needed).
using BackwardFn = std::function<std::vector<Tensor>(const BackwardContext&)>;

struct Node {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Frees the chain of producers iteratively: a long graph (e.g. an unrolled
  // RNN) would otherwise overflow the stack in nested shared_ptr destructors.
  ~Node();

  const OpDef* op = nullptr;
  std::vector<Edge> next_edges;       // one per input
  std::vector<TensorInfo> inputs;     // one per input
  std::vector<TensorInfo> outputs;    // one per output
  std::vector<SavedTensor> saved;
  BackwardFn backward;
  bool released = false;              // saved tensors freed by a backward without retain_graph

  const std::string& name() const { return op->name(); }
  // Frees the saved tensors (after a backward pass that does not retain the graph).
  void release();
};

// What a backward function sees while its node runs.
class BackwardContext {
 public:
  BackwardContext(const Node& node, const std::vector<Tensor>& grad_outputs,
                  const std::vector<bool>& needs)
      : node_(node), grad_outputs_(grad_outputs), needs_(needs) {}

  // Gradient w.r.t. output i (zeros if that output received none).
  const Tensor& grad_output(size_t i = 0) const { return grad_outputs_.at(i); }
  // Saved tensor i, checked against in-place modification (undefined if saved undefined).
  Tensor saved(size_t i) const { return node_.saved.at(i).unpack(node_.name()); }
  bool needs_input_grad(size_t i) const { return needs_.at(i); }
  size_t num_inputs() const { return node_.inputs.size(); }
  const Shape& input_shape(size_t i) const { return node_.inputs.at(i).shape; }
  DType input_dtype(size_t i) const { return node_.inputs.at(i).dtype; }
  Device input_device(size_t i) const { return node_.inputs.at(i).device; }

 private:
  const Node& node_;
  const std::vector<Tensor>& grad_outputs_;
  const std::vector<bool>& needs_;
};

// True when grad mode is on and a defined input requires grad: only then do
// ops record a node.
bool should_record(const std::vector<Tensor>& inputs);

// Attaches a node for op(inputs) -> out and returns `out` (a fresh alias when
// `out` already carries autograd state, e.g. an op that returned its input).
Tensor record_node(const OpDef& op, const std::vector<Tensor>& inputs, Tensor out,
                   const std::vector<Tensor>& saved, BackwardFn backward);

// Records `out` as op(inputs) when should_record(inputs); else returns `out`
// untouched. `saved` lists the tensors backward reads (undefined entries are
// allowed, for tensors only some inputs need).
template <typename F>
Tensor record(const OpDef& op, const std::vector<Tensor>& inputs, Tensor out,
              const std::vector<Tensor>& saved, F&& backward) {
  if (!should_record(inputs)) return out;
  return record_node(op, inputs, std::move(out), saved, BackwardFn(std::forward<F>(backward)));
}

}  // namespace nf::autograd
