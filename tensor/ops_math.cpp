// Elementwise ops, reductions, matmul and indexing: shape logic and checks;
// the loops live in the backends.
#include <algorithm>

#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/ops_util.h"

namespace nf::raw {

namespace {
const char* unary_name(UnaryOp op) {
  static const char* names[] = {"neg", "exp", "log", "sqrt", "rsqrt", "abs", "sign", "tanh",
                                "sigmoid", "relu", "square", "pow_scalar", "add_scalar",
                                "mul_scalar", "rsub_scalar", "gt_scalar", "relu_grad_mask",
                                "clamp_min", "clamp_max", "is_nonfinite"};
  return names[int(op)];
}
const char* binary_name(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                "eq", "ne", "lt", "le", "gt", "ge"};
  return names[int(op)];
}
bool is_comparison(BinaryOp op) { return op >= BinaryOp::eq; }
}  // namespace

Tensor unary(UnaryOp op, const Tensor& x, double alpha) {
  detail::check_defined(x, unary_name(op), "input");
  Tensor out = empty_like(x);
  backend_for(x.device()).unary(op, x, out, alpha);
  return out;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  detail::check_defined(a, name, "first input");
  detail::check_defined(b, name, "second input");
  Backend& be = detail::common_backend(name, {&a, &b});
  detail::check_same_dtype(name, a, b);
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  DType dtype = is_comparison(op) ? DType::boolean : a.dtype();
  Tensor out = Tensor::empty(shape, {dtype, a.device()});
  be.binary(op, expand(a, shape), expand(b, shape), out);
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Backend& be = detail::common_backend("where", {&cond, &a, &b});
  NF_CHECK(cond.dtype() == DType::boolean || cond.dtype() == DType::u8,
           "where: condition must be bool or u8, got ", dtype_name(cond.dtype()));
  detail::check_same_dtype("where", a, b);
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = Tensor::empty(shape, {a.dtype(), a.device()});
  be.where(expand(cond, shape), expand(a, shape), expand(b, shape), out);
  return out;
}

namespace {
// Sorted unique non-negative dims; empty input means all dims.
std::vector<int64_t> reduction_dims(std::vector<int64_t> dims, int64_t ndim, const char* op) {
  if (dims.empty()) {
    dims.resize(ndim);
    for (int64_t i = 0; i < ndim; ++i) dims[i] = i;
    return dims;
  }
  for (int64_t& d : dims) d = normalize_dim(d, ndim, op);
  std::sort(dims.begin(), dims.end());
  NF_CHECK(std::adjacent_find(dims.begin(), dims.end()) == dims.end(), op,
           ": repeated dim in reduction");
  return dims;
}

Shape keepdim_shape(const Shape& shape, const std::vector<int64_t>& dims) {
  Shape out = shape;
  for (int64_t d : dims) out[d] = 1;
  return out;
}

Shape dropped_shape(const Shape& shape, const std::vector<int64_t>& dims) {
  Shape out;
  for (int64_t i = 0; i < int64_t(shape.size()); ++i)
    if (!std::binary_search(dims.begin(), dims.end(), i)) out.push_back(shape[i]);
  return out;
}
}  // namespace

Tensor reduce(ReduceOp op, const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  static const char* names[] = {"sum", "mean", "max", "min", "argmax"};
  const char* name = names[int(op)];
  detail::check_defined(x, name, "input");
  NF_CHECK(op != ReduceOp::argmax, "reduce: use raw::argmax for argmax");
  if (op == ReduceOp::mean) detail::check_floating(name, x);
  dims = reduction_dims(std::move(dims), x.dim(), name);
  if (op == ReduceOp::max || op == ReduceOp::min)
    for (int64_t d : dims)
      NF_CHECK(x.size(d) > 0, name, ": cannot reduce over empty dim ", d, " of shape ", shape_str(x.shape()));
  Tensor out = Tensor::empty(keepdim_shape(x.shape(), dims), {x.dtype(), x.device()});
  backend_for(x.device()).reduce(op, x, dims, out);
  return keepdim ? out : view(out, dropped_shape(x.shape(), dims));
}

Tensor max(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  return reduce(ReduceOp::max, x, std::move(dims), keepdim);
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  detail::check_defined(x, "argmax", "input");
  std::vector<int64_t> dims = {normalize_dim(dim, x.dim(), "argmax")};
  NF_CHECK(x.size(dims[0]) > 0, "argmax: cannot reduce over empty dim ", dims[0]);
  Tensor out = Tensor::empty(keepdim_shape(x.shape(), dims), {DType::i64, x.device()});
  backend_for(x.device()).reduce(ReduceOp::argmax, x, dims, out);
  return keepdim ? out : view(out, dropped_shape(x.shape(), dims));
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  NF_CHECK(grad.dim() >= int64_t(shape.size()), "sum_to: cannot sum ", shape_str(grad.shape()),
           " down to ", shape_str(shape));
  int64_t lead = grad.dim() - int64_t(shape.size());
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < grad.dim(); ++i) {
    if (i < lead) {
      dims.push_back(i);
    } else if (shape[i - lead] == 1 && grad.size(i) != 1) {
      dims.push_back(i);
    } else {
      NF_CHECK(shape[i - lead] == grad.size(i), "sum_to: cannot sum ", shape_str(grad.shape()),
               " down to ", shape_str(shape));
    }
  }
  if (dims.empty()) return reshape(grad, shape);
  return reshape(sum(grad, dims, true), shape);
}

namespace {
// The last two dims of `m` ([.., R, C]) as a GEMM operand: row-major
// (stride(-1) == 1, stride(-2) >= C) or transposed (stride(-2) == 1,
// stride(-1) >= R); otherwise a contiguous copy. Strides of size-1 dims are
// made canonical so the backend can rely on the two forms.
Tensor as_gemm_operand(const Tensor& m) {
  int64_t n = m.dim(), rows = m.size(-2), cols = m.size(-1);
  int64_t s_row = m.stride(-2), s_col = m.stride(-1);
  Strides strides = m.strides();
  bool row_major = (cols == 1 || s_col == 1) && (rows == 1 || s_row >= cols);
  bool col_major = (rows == 1 || s_row == 1) && (cols == 1 || s_col >= rows);
  if (row_major) {
    strides[n - 1] = 1;
    strides[n - 2] = rows == 1 ? cols : s_row;
  } else if (col_major) {
    strides[n - 2] = 1;
    strides[n - 1] = cols == 1 ? rows : s_col;
  } else {
    return contiguous(m);
  }
  return Tensor(m.storage(), m.shape(), strides, m.offset(), m.dtype());
}

// [batch.., R, C] -> [B, R, C] as a view when the batch dims flatten to one
// stride (each non-1 batch dim's stride = the inner ones' stride times their
// sizes; all-zero strides = a broadcast batch), else as a contiguous copy.
Tensor collapse_batch(const Tensor& m) {
  int64_t batch_dims = m.dim() - 2, batch = 1, stride = 0, inner_size = 0;
  bool flattens = true;
  for (int64_t d = batch_dims - 1; d >= 0; --d) {
    batch *= m.size(d);
    if (m.size(d) == 1) continue;
    if (inner_size == 0) {
      stride = m.stride(d);
      inner_size = m.size(d);
    } else {
      flattens = flattens && m.stride(d) == stride * inner_size;
      inner_size *= m.size(d);
    }
  }
  Tensor t = m;
  if (!flattens) {
    t = as_gemm_operand(contiguous(m));
    stride = t.size(-2) * t.size(-1);
  }
  return Tensor(t.storage(), {batch, t.size(-2), t.size(-1)}, {stride, t.stride(-2), t.stride(-1)},
                t.offset(), t.dtype());
}
}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  detail::check_defined(a_in, "matmul", "first input");
  detail::check_defined(b_in, "matmul", "second input");
  Backend& be = detail::common_backend("matmul", {&a_in, &b_in});
  NF_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, "matmul: both inputs need at least 1 dim, got ",
           shape_str(a_in.shape()), " x ", shape_str(b_in.shape()));
  detail::check_same_dtype("matmul", a_in, b_in);
  detail::check_floating("matmul", a_in);
  Tensor a = a_in.dim() == 1 ? unsqueeze(a_in, 0) : a_in;
  Tensor b = b_in.dim() == 1 ? unsqueeze(b_in, 1) : b_in;
  int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  NF_CHECK(b.size(-2) == k, "matmul: shape mismatch ", shape_str(a_in.shape()), " x ",
           shape_str(b_in.shape()));
  Shape batch;
  try {
    batch = broadcast_shapes(Shape(a.shape().begin(), a.shape().end() - 2),
                             Shape(b.shape().begin(), b.shape().end() - 2), "matmul");
  } catch (const Error&) {
    NF_FAIL("matmul: batch dims of ", shape_str(a_in.shape()), " x ", shape_str(b_in.shape()),
            " cannot be broadcast");
  }
  Shape a_shape = batch, b_shape = batch, out_shape = batch;
  a_shape.insert(a_shape.end(), {m, k});
  b_shape.insert(b_shape.end(), {k, n});
  out_shape.insert(out_shape.end(), {m, n});
  Tensor a3 = collapse_batch(as_gemm_operand(expand(a, a_shape)));
  Tensor b3 = collapse_batch(as_gemm_operand(expand(b, b_shape)));
  int64_t nb = shape_numel(batch);
  Tensor out = Tensor::empty({nb, m, n}, {a.dtype(), a.device()});
  if (out.numel() > 0) {
    if (k == 0) be.fill(out, 0.0);
    else be.matmul(a3, b3, out);
  }
  Shape result = batch;
  if (a_in.dim() > 1) result.push_back(m);
  if (b_in.dim() > 1) result.push_back(n);
  return view(out, result);
}

namespace {
void check_index(const char* op, const Tensor& index) {
  detail::check_defined(index, op, "index");
  NF_CHECK(index.dtype() == DType::i64, op, ": index must be i64, got ", dtype_name(index.dtype()));
}
}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  Backend& be = detail::common_backend("index_select", {&x, &index});
  check_index("index_select", index);
  NF_CHECK(index.dim() == 1, "index_select: index must be 1-D, got ", shape_str(index.shape()));
  int64_t d = normalize_dim(dim, x.dim(), "index_select");
  Shape shape = x.shape();
  shape[d] = index.size(0);
  Tensor out = Tensor::empty(shape, {x.dtype(), x.device()});
  be.index_select(contiguous(x), d, contiguous(index), out);
  return out;
}

void index_add_(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  Backend& be = detail::common_backend("index_add_", {&out, &index, &src});
  check_index("index_add_", index);
  detail::check_same_dtype("index_add_", out, src);
  NF_CHECK(index.dim() == 1, "index_add_: index must be 1-D, got ", shape_str(index.shape()));
  int64_t d = normalize_dim(dim, out.dim(), "index_add_");
  Shape expect = out.shape();
  expect[d] = index.size(0);
  NF_CHECK(src.shape() == expect, "index_add_: source shape ", shape_str(src.shape()),
           " does not match ", shape_str(expect));
  NF_CHECK(out.is_contiguous(), "index_add_: destination must be contiguous");
  Tensor o = out;
  be.index_add(o, d, contiguous(index), contiguous(src));
  out.bump_version();
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  Backend& be = detail::common_backend("gather", {&x, &index});
  check_index("gather", index);
  int64_t d = normalize_dim(dim, x.dim(), "gather");
  NF_CHECK(index.dim() == x.dim(), "gather: index ", shape_str(index.shape()),
           " must have the rank of input ", shape_str(x.shape()));
  for (int64_t i = 0; i < x.dim(); ++i)
    NF_CHECK(i == d || index.size(i) <= x.size(i), "gather: index ", shape_str(index.shape()),
             " larger than input ", shape_str(x.shape()), " in dim ", i);
  Tensor out = Tensor::empty(index.shape(), {x.dtype(), x.device()});
  be.gather(contiguous(x), d, contiguous(index), out);
  return out;
}

void scatter_add_(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  Backend& be = detail::common_backend("scatter_add_", {&out, &index, &src});
  check_index("scatter_add_", index);
  detail::check_same_dtype("scatter_add_", out, src);
  int64_t d = normalize_dim(dim, out.dim(), "scatter_add_");
  NF_CHECK(index.shape() == src.shape(), "scatter_add_: index ", shape_str(index.shape()),
           " and source ", shape_str(src.shape()), " differ");
  NF_CHECK(index.dim() == out.dim(), "scatter_add_: index ", shape_str(index.shape()),
           " must have the rank of the destination ", shape_str(out.shape()));
  for (int64_t i = 0; i < out.dim(); ++i)
    NF_CHECK(i == d || index.size(i) <= out.size(i), "scatter_add_: index ",
             shape_str(index.shape()), " larger than destination ", shape_str(out.shape()), " in dim ", i);
  NF_CHECK(out.is_contiguous(), "scatter_add_: destination must be contiguous");
  Tensor o = out;
  be.scatter_add(o, d, contiguous(index), contiguous(src));
  out.bump_version();
}

}  // namespace nf::raw
