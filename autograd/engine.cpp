#include "autograd/engine.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::autograd {

namespace {

// Nodes reachable from `roots`, each before every node that produced one of
// its inputs (reverse DFS post-order).
std::vector<std::shared_ptr<Node>> topological_order(const std::vector<Edge>& roots) {
  struct Frame {
    std::shared_ptr<Node> node;
    size_t next_edge = 0;
  };
  std::vector<std::shared_ptr<Node>> post;
  std::unordered_set<const Node*> seen;
  std::vector<Frame> stack;
  for (const Edge& root : roots) {
    if (!root.node || !seen.insert(root.node.get()).second) continue;
    stack.push_back({root.node});
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next_edge < f.node->next_edges.size()) {
        const Edge& e = f.node->next_edges[f.next_edge++];
        if (e.node && seen.insert(e.node.get()).second) stack.push_back({e.node});
      } else {
        post.push_back(std::move(f.node));
        stack.pop_back();
      }
    }
  }
  std::reverse(post.begin(), post.end());
  return post;
}

void sum_into(Tensor& acc, Tensor g) { acc = acc.defined() ? raw::add(acc, g) : std::move(g); }

// Adds `g` to a leaf's .grad. The first gradient is stored as is only when
// nothing else can see it (later accumulations write into it in place).
void accumulate_leaf(AutogradMeta& meta, Tensor g) {
  if (!meta.requires_grad) return;
  if (!meta.grad.defined()) {
    bool exclusive = g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1 &&
                     g.is_contiguous() && !g.impl().autograd;
    meta.grad = exclusive ? std::move(g) : raw::clone(g);
  } else {
    raw::add_(meta.grad, g);
  }
}

void check_same_info(const Tensor& g, const TensorInfo& info, const std::string& what) {
  NF_CHECK(g.shape() == info.shape && g.dtype() == info.dtype && g.device() == info.device,
           "autograd: ", what, " has shape ", shape_str(g.shape()), " ", dtype_name(g.dtype()), " on ",
           g.device().str(), ", expected ", shape_str(info.shape), " ", dtype_name(info.dtype),
           " on ", info.device.str());
}

// One backward pass. Without `targets` (backward()), every edge is followed
// and leaves accumulate into .grad. With targets (grad()), gradients arriving
// at the target leaves / node outputs are collected into `captured`, leaves
// are left alone, and only nodes leading to a target run.
class Pass {
 public:
  explicit Pass(bool retain_graph) : retain_graph_(retain_graph) {}

  void add_leaf_target(const AutogradMeta* leaf, size_t i) { leaf_targets_.emplace(leaf, i); }
  void add_slot_target(const Node* node, uint32_t slot, size_t i) {
    slot_targets_.emplace(std::make_pair(node, slot), i);
  }
  bool capturing() const { return !leaf_targets_.empty() || !slot_targets_.empty(); }

  std::vector<Tensor> run(const std::vector<Edge>& roots, std::vector<Tensor> grad_roots,
                          size_t num_targets) {
    NoGradGuard no_grad;
    captured_.assign(num_targets, Tensor{});
    order_ = topological_order(roots);
    mark_nodes_to_run();
    for (size_t i = 0; i < roots.size(); ++i) deliver(roots[i], std::move(grad_roots[i]));
    for (const auto& node : order_) run_node(*node);
    return std::move(captured_);
  }

 private:
  bool edge_needed(const Edge& e) const {
    if (!capturing()) return e.valid();
    if (e.leaf) return leaf_targets_.count(e.leaf.get()) > 0;
    if (!e.node) return false;
    return slot_targets_.count({e.node.get(), e.slot}) > 0 || runs_.count(e.node.get()) > 0;
  }

  // A node runs when one of its edges is needed; producers come later in
  // order_, so walk it backwards.
  void mark_nodes_to_run() {
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      const Node& n = **it;
      if (std::any_of(n.next_edges.begin(), n.next_edges.end(),
                      [&](const Edge& e) { return edge_needed(e); }))
        runs_.insert(&n);
    }
  }

  void deliver(const Edge& e, Tensor g) {
    if (e.leaf) {
      if (!capturing()) {
        accumulate_leaf(*e.leaf, std::move(g));
      } else if (auto t = leaf_targets_.find(e.leaf.get()); t != leaf_targets_.end()) {
        sum_into(captured_[t->second], std::move(g));
      }
    } else if (e.node) {
      auto& buf = buffers_[e.node.get()];
      buf.resize(e.node->outputs.size());
      sum_into(buf[e.slot], std::move(g));
    }
  }

  void run_node(Node& node) {
    auto found = buffers_.find(&node);
    if (found == buffers_.end()) return;  // no gradient reached this node
    std::vector<Tensor> grads = std::move(found->second);
    buffers_.erase(found);
    for (uint32_t s = 0; s < grads.size(); ++s) {
      auto t = slot_targets_.find({&node, s});
      if (t != slot_targets_.end() && grads[s].defined()) sum_into(captured_[t->second], grads[s]);
    }
    if (!runs_.count(&node)) return;

    NF_CHECK(!node.released, "autograd: trying to backward through ", node.name(),
             " a second time, but its saved tensors were freed by the first backward; pass "
             "retain_graph=true to the first backward() (or autograd::grad) to keep them");
    for (size_t s = 0; s < grads.size(); ++s) {
      const TensorInfo& out = node.outputs[s];
      if (!grads[s].defined()) grads[s] = zeros(out.shape, {out.dtype, out.device});
    }
    std::vector<bool> needs(node.next_edges.size());
    for (size_t i = 0; i < needs.size(); ++i) needs[i] = edge_needed(node.next_edges[i]);

    std::vector<Tensor> input_grads = node.backward(BackwardContext(node, grads, needs));
    NF_CHECK(input_grads.size() == node.next_edges.size(), "autograd: backward of ", node.name(),
             " returned ", input_grads.size(), " gradients for ", node.next_edges.size(), " inputs");
    if (!retain_graph_) node.release();
    for (size_t i = 0; i < input_grads.size(); ++i) {
      if (!needs[i] || !input_grads[i].defined()) continue;
      check_same_info(input_grads[i], node.inputs[i],
                      "the gradient from " + node.name() + " for input " + std::to_string(i));
      deliver(node.next_edges[i], std::move(input_grads[i]));
    }
  }

  bool retain_graph_;
  std::map<std::pair<const Node*, uint32_t>, size_t> slot_targets_;
  std::unordered_map<const AutogradMeta*, size_t> leaf_targets_;
  std::vector<std::shared_ptr<Node>> order_;
  std::unordered_set<const Node*> runs_;
  std::unordered_map<const Node*, std::vector<Tensor>> buffers_;
  std::vector<Tensor> captured_;
};

// The root edges and their seed gradients (ones for 1-element roots).
std::pair<std::vector<Edge>, std::vector<Tensor>> seed(const char* op,
                                                       const std::vector<Tensor>& roots,
                                                       const std::vector<Tensor>& grad_roots) {
  NF_CHECK(grad_roots.empty() || grad_roots.size() == roots.size(), op, ": got ", grad_roots.size(),
           " gradients for ", roots.size(), " outputs");
  std::vector<Edge> edges;
  std::vector<Tensor> grads;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    NF_CHECK(r.defined(), op, ": output ", i, " is undefined");
    Edge e = edge_of(r);
    NF_CHECK(e.valid(), op, ": output ", i,
             " does not require grad and has no grad_fn (computed under NoGradGuard, or from "
             "inputs that do not require grad?)");
    Tensor g = grad_roots.empty() ? Tensor{} : grad_roots[i];
    if (!g.defined()) {
      NF_CHECK(r.numel() == 1, op, ": a gradient must be given for non-scalar output ", i,
               " of shape ", shape_str(r.shape()));
      g = ones(r.shape(), {r.dtype(), r.device()});
    }
    check_same_info(g, {r.shape(), r.dtype(), r.device()},
                    std::string(op) + ": the gradient given for output " + std::to_string(i));
    edges.push_back(std::move(e));
    grads.push_back(std::move(g));
  }
  return {std::move(edges), std::move(grads)};
}

}  // namespace

void backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
              bool retain_graph) {
  auto [edges, grads] = seed("backward", roots, grad_roots);
  Pass(retain_graph).run(edges, std::move(grads), 0);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph,
                         bool allow_unused) {
  NF_CHECK(!inputs.empty(), "grad: no inputs given");
  auto [edges, grads] = seed("grad", outputs, grad_outputs);
  Pass pass(retain_graph);
  // Repeated inputs are captured once and copied at the end.
  std::vector<size_t> slot_of(inputs.size());
  std::map<std::pair<const void*, uint32_t>, size_t> first;
  for (size_t i = 0; i < inputs.size(); ++i) {
    NF_CHECK(inputs[i].defined(), "grad: input ", i, " is undefined");
    Edge e = edge_of(inputs[i]);
    NF_CHECK(e.valid(), "grad: input ", i, " does not require grad");
    const void* key = e.leaf ? static_cast<const void*>(e.leaf.get()) : e.node.get();
    auto [it, fresh] = first.emplace(std::make_pair(key, e.slot), i);
    slot_of[i] = it->second;
    if (!fresh) continue;
    if (e.leaf) pass.add_leaf_target(e.leaf.get(), i);
    else pass.add_slot_target(e.node.get(), e.slot, i);
  }
  std::vector<Tensor> result = pass.run(edges, std::move(grads), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    result[i] = result[slot_of[i]];
    NF_CHECK(allow_unused || result[i].defined(), "grad: input ", i,
             " is not used by the outputs (pass allow_unused=true to get an undefined gradient)");
  }
  return result;
}

}  // namespace nf::autograd
