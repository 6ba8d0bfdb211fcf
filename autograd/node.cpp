#include "autograd/node.h"

namespace nf::autograd {

Edge edge_of(const Tensor& t) {
  if (!t.defined()) return {};
  const auto& meta = t.impl().autograd;
  if (!meta) return {};
  if (meta->grad_fn) return {meta->grad_fn, meta->output_nr, nullptr};
  if (meta->requires_grad) return {nullptr, 0, meta};
  return {};
}

SavedTensor::SavedTensor(const Tensor& t) {
  if (!t.defined()) return;
  data_ = t.detach();
  version_ = t.version();
}

Tensor SavedTensor::unpack(const std::string& op) const {
  if (!data_.defined()) return data_;
  NF_CHECK(data_.version() == version_, "autograd: a tensor saved by ", op,
           " was modified in place (version ", data_.version(), ", expected ", version_,
           "); use an out-of-place op, or clone the tensor before modifying it");
  return data_;
}

Node::~Node() {
  std::vector<std::shared_ptr<Node>> pending;
  auto take_producers = [&pending](std::vector<Edge>& edges) {
    for (Edge& e : edges)
      if (e.node) pending.push_back(std::move(e.node));
    edges.clear();
  };
  take_producers(next_edges);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    // Only the last owner dismantles a node; its producers' destructors then
    // find no edges and do not recurse.
    if (n.use_count() == 1) take_producers(n->next_edges);
  }
}

void Node::release() {
  if (saved.empty()) return;
  saved.clear();
  released = true;
}

bool should_record(const std::vector<Tensor>& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Tensor record_node(const OpDef& op, const std::vector<Tensor>& inputs, Tensor out,
                   const std::vector<Tensor>& saved, BackwardFn backward) {
  NF_ASSERT(find_op(op.name()) == &op);
  NF_CHECK(is_floating(out.dtype()), op.name(), ": cannot record a gradient for a ",
           dtype_name(out.dtype()), " output");
  auto node = std::make_shared<Node>();
  node->op = &op;
  node->next_edges.reserve(inputs.size());
  node->inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    node->next_edges.push_back(edge_of(t));
    node->inputs.push_back(t.defined() ? TensorInfo{t.shape(), t.dtype(), t.device()} : TensorInfo{});
  }
  node->outputs.push_back({out.shape(), out.dtype(), out.device()});
  node->saved.reserve(saved.size());
  for (const Tensor& t : saved) node->saved.emplace_back(t);
  node->backward = std::move(backward);

  // An op may return one of its inputs (or share its TensorImpl): give the
  // output its own TensorImpl so the input's history stays intact.
  if (out.impl().autograd) out = out.detach();
  auto meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = true;
  meta->grad_fn = std::move(node);
  meta->output_nr = 0;
  out.impl().autograd = std::move(meta);
  return out;
}

}  // namespace nf::autograd
