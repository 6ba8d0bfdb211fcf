// matmul with numpy semantics. Backward promotes 1-D operands to matrices
// (a: [K] -> [1,K], b: [K] -> [K,1]) and re-inserts the matching dims of the
// output gradient, then
//   grad_a = g @ b^T,  grad_b = a^T @ g
// summed over broadcast batch dims back to each operand's shape.
#include "autograd/op_util.h"

namespace nf {

using namespace autograd;
using namespace autograd::cases;

namespace {

GradcheckCase mm_case(std::string variant, Shape sa, Shape sb) {
  return {.variant = std::move(variant),
          .make_inputs = [=](Generator& g) { return Inputs{randn64(sa, g), randn64(sb, g)}; },
          .run = [](const Inputs& x) { return matmul(x[0], x[1]); }};
}

const OpDef& kMatmul = register_op("matmul", {
    mm_case("matrix", {3, 5}, {5, 7}),
    mm_case("batched_broadcast", {3, 1, 3, 5}, {5, 5, 3}),
    mm_case("vector_matrix", {5}, {3, 5, 7}),
    mm_case("matrix_vector", {3, 5}, {5}),
    mm_case("dot", {5}, {5})});

// A 1-D operand as a matrix: a -> [1,K] (row), b -> [K,1] (column).
Tensor as_matrix(const Tensor& t, bool is_a) {
  if (t.dim() != 1) return t;
  return raw::unsqueeze(t, is_a ? 0 : 1);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  return record(kMatmul, {a, b}, raw::matmul(a, b),
                {keep_if(b.requires_grad(), a), keep_if(a.requires_grad(), b)},
                [](const BackwardContext& c) {
                  const Shape& sa = c.input_shape(0);
                  const Shape& sb = c.input_shape(1);
                  Tensor g = c.grad_output();
                  if (sa.size() == 1) g = raw::unsqueeze(g, g.dim() - (sb.size() == 1 ? 0 : 1));
                  if (sb.size() == 1) g = raw::unsqueeze(g, g.dim());
                  Grads grads(2);
                  if (c.needs_input_grad(0)) {
                    Tensor bm = as_matrix(c.saved(1), false);
                    Tensor ga = raw::matmul(g, raw::transpose(bm, -1, -2));
                    Shape am = sa.size() == 1 ? Shape{1, sa[0]} : sa;
                    grads[0] = raw::reshape(raw::sum_to(ga, am), sa);
                  }
                  if (c.needs_input_grad(1)) {
                    Tensor am = as_matrix(c.saved(0), true);
                    Tensor gb = raw::matmul(raw::transpose(am, -1, -2), g);
                    Shape bm = sb.size() == 1 ? Shape{sb[0], 1} : sb;
                    grads[1] = raw::reshape(raw::sum_to(gb, bm), sb);
                  }
                  return grads;
                });
}

namespace autograd::detail {
void link_ops_matmul() {}
}  // namespace autograd::detail

}  // namespace nf
