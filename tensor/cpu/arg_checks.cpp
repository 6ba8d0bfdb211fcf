// Host-side argument checks (see arg_checks.h).
#include "tensor/cpu/arg_checks.h"

#include "tensor/cpu/op_names.h"
#include "tensor/error.h"

namespace nf::cpu {

std::string position_str(const Shape& shape, int64_t flat) {
  Shape idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

void check_dim(const char* op, int64_t dim, int64_t ndim) {
  NF_CHECK(dim >= 0 && dim < ndim, op, ": dim ", dim, " out of range for a tensor of ", ndim, " dims");
}

void check_select_shapes(const char* op, const Tensor& big, int64_t dim, const Tensor& index,
                         const Tensor& small) {
  check_dim(op, dim, big.dim());
  NF_CHECK(index.dim() == 1, op, ": index must be 1-D, got ", shape_str(index.shape()));
  Shape expect = big.shape();
  expect[dim] = index.size(0);
  NF_CHECK(small.shape() == expect, op, ": expected shape ", shape_str(expect), ", got ",
           shape_str(small.shape()));
}

void check_gather_shapes(const char* op, const Tensor& full, int64_t dim, const Tensor& index,
                         const Tensor& same) {
  check_dim(op, dim, full.dim());
  NF_CHECK(index.shape() == same.shape(), op, ": index ", shape_str(index.shape()), " and ",
           shape_str(same.shape()), " differ");
  NF_CHECK(index.dim() == full.dim(), op, ": index ", shape_str(index.shape()),
           " must have the rank of ", shape_str(full.shape()));
  for (int64_t d = 0; d < full.dim(); ++d)
    NF_CHECK(d == dim || index.size(d) <= full.size(d), op, ": index ", shape_str(index.shape()),
             " larger than ", shape_str(full.shape()), " in dim ", d);
}

std::vector<bool> check_reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
                               const Tensor& out) {
  const char* name = op_name(op);
  const int64_t nd = x.dim();
  // Empty dims means all dims (as in the nf::raw front end).
  std::vector<bool> is_reduced(size_t(nd), dims.empty());
  for (int64_t d : dims) {
    int64_t k = normalize_dim(d, nd, name);
    NF_CHECK(!is_reduced[k], name, ": dim ", d, " repeated in the reduction dims");
    is_reduced[k] = true;
  }
  Shape expect = x.shape();
  for (int64_t d = 0; d < nd; ++d)
    if (is_reduced[d]) expect[d] = 1;
  NF_CHECK(out.shape() == expect && out.is_contiguous(), name, ": output must be contiguous ",
           shape_str(expect), " for input ", shape_str(x.shape()), ", got ", shape_str(out.shape()));
  if (op == ReduceOp::argmax) {
    NF_CHECK(dims.size() == 1, "argmax: reduces exactly one dim, got ", dims.size());
    NF_CHECK(out.dtype() == DType::i64, "argmax: output must be i64, got ", dtype_name(out.dtype()));
  } else {
    NF_CHECK(out.dtype() == x.dtype(), name, ": output dtype ", dtype_name(out.dtype()),
             " differs from input dtype ", dtype_name(x.dtype()));
  }
  return is_reduced;
}

Rows rows_of(const Tensor& x, const char* op) {
  NF_CHECK(x.dim() == 2 && x.is_contiguous(), op, ": expected a contiguous [R,C] tensor, got ",
           shape_str(x.shape()));
  return {x.size(0), x.size(1)};
}

void check_same(const Tensor& a, const Tensor& b, const char* op, const char* what) {
  NF_CHECK(a.shape() == b.shape() && a.dtype() == b.dtype() && b.is_contiguous(), op, ": ", what,
           " ", shape_str(b.shape()), " ", dtype_name(b.dtype()), " must be contiguous and match ",
           shape_str(a.shape()), " ", dtype_name(a.dtype()));
}

void check_like(const Tensor& ref, const Tensor& t, const char* op, const char* what) {
  NF_CHECK(t.defined() && t.shape() == ref.shape() && t.dtype() == ref.dtype() && t.is_contiguous(),
           op, ": ", what, " ", t.defined() ? shape_str(t.shape()) : std::string("(undefined)"), " ",
           t.defined() ? dtype_name(t.dtype()) : "", " must be contiguous and match the parameter ",
           shape_str(ref.shape()), " ", dtype_name(ref.dtype()));
}

void check_param(const Tensor& p, const char* op) {
  NF_CHECK(p.defined() && p.is_contiguous(), op, ": the parameter must be a defined contiguous tensor");
}

}  // namespace nf::cpu
