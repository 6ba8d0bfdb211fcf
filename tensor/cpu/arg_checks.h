// Host-side argument checks shared by the CPU backend and the CUDA backend's
// host code (cuda/ includes it), so that both reject bad arguments with the
// same messages and the checks live in one place.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/backend.h"
#include "tensor/tensor.h"

namespace nf::cpu {

// "[1,0]": the multi-index of flat position `flat` in a row-major `shape`.
std::string position_str(const Shape& shape, int64_t flat);

// --- index_select / index_add / gather / scatter_add ---------------------------------
void check_dim(const char* op, int64_t dim, int64_t ndim);
// index_select / index_add: 1-D index; `big` has the full dim, `small` has
// index.numel() there and matches `big` elsewhere.
void check_select_shapes(const char* op, const Tensor& big, int64_t dim, const Tensor& index,
                         const Tensor& small);
// gather / scatter_add: index has the rank of `full` and fits inside it except along dim.
void check_gather_shapes(const char* op, const Tensor& full, int64_t dim, const Tensor& index,
                         const Tensor& same);

// --- reductions ----------------------------------------------------------------------------
// Checks dims (empty = all), out's shape (reduced dims kept as 1, contiguous)
// and dtype (i64 for argmax, which reduces exactly one dim); returns which
// dims of x are reduced.
std::vector<bool> check_reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
                               const Tensor& out);

// --- softmax / NLL rows ------------------------------------------------------------------------
struct Rows {
  int64_t R, C;
};
// x must be a contiguous [R, C] tensor.
Rows rows_of(const Tensor& x, const char* op);
// b (named `what`) must be contiguous and match a in shape and dtype.
void check_same(const Tensor& a, const Tensor& b, const char* op, const char* what);

// --- optimizer updates --------------------------------------------------------------------------
// `t` must be contiguous and match `ref` (the parameter) in shape and dtype.
void check_like(const Tensor& ref, const Tensor& t, const char* op, const char* what);
void check_param(const Tensor& p, const char* op);

}  // namespace nf::cpu
