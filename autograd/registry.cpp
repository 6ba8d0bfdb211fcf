#include "autograd/registry.h"

#include <algorithm>

namespace nf::autograd {

// Each ops_*.cpp defines one of these empty functions. Calling them from
// registered_ops() makes the linker keep every op file of the static library
// (and so run its register_op calls) in any program that enumerates the
// registry. A new ops file must add its anchor here.
namespace detail {
void link_ops_arith();
void link_ops_math();
void link_ops_reduce();
void link_ops_view();
void link_ops_index();
void link_ops_matmul();
void link_ops_conv();
void link_ops_pool();
void link_ops_batchnorm();
void link_ops_loss();
}  // namespace detail

namespace {
std::vector<std::unique_ptr<OpDef>>& ops() {
  static std::vector<std::unique_ptr<OpDef>> all;
  return all;
}
}  // namespace

const OpDef& register_op(std::string name, std::vector<GradcheckCase> cases) {
  NF_CHECK(!cases.empty(), "register_op: op ", name, " has no gradcheck case");
  NF_CHECK(find_op(name) == nullptr, "register_op: op ", name, " registered twice");
  ops().push_back(std::unique_ptr<OpDef>(new OpDef(std::move(name), std::move(cases))));
  return *ops().back();
}

std::vector<const OpDef*> registered_ops() {
  detail::link_ops_arith();
  detail::link_ops_math();
  detail::link_ops_reduce();
  detail::link_ops_view();
  detail::link_ops_index();
  detail::link_ops_matmul();
  detail::link_ops_conv();
  detail::link_ops_pool();
  detail::link_ops_batchnorm();
  detail::link_ops_loss();
  std::vector<const OpDef*> out;
  for (const auto& op : ops()) out.push_back(op.get());
  std::sort(out.begin(), out.end(), [](const OpDef* a, const OpDef* b) { return a->name() < b->name(); });
  return out;
}

const OpDef* find_op(std::string_view name) {
  for (const auto& op : ops())
    if (op->name() == name) return op.get();
  return nullptr;
}

}  // namespace nf::autograd
