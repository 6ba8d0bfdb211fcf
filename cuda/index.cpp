// Host side of the indexing family: index_select, gather, index_add,
// scatter_add. Shapes are checked with the CPU backend's messages; indices are
// range-checked on the device (kernels/index.cu finds the first bad position)
// and a bad one is reported exactly as the CPU reports it:
//   "gather: index 7 at position [1,0] is out of range for dim 1 of size 5".
#include <string>

#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/kernels/index.h"
#include "cuda/tensor_arg.h"
#include "tensor/cpu/arg_checks.h"

namespace nf::cuda {

// Argument checks shared with the CPU backend (the same messages).
using cpu::check_dim;
using cpu::check_gather_shapes;
using cpu::check_select_shapes;
using cpu::position_str;

namespace {

// A view of t's storage with another shape and strides (e.g. one dim's stride 0).
Tensor restrided(const Tensor& t, const Shape& shape, const Strides& strides) {
  return Tensor(t.storage(), shape, strides, t.offset(), t.dtype());
}

// A 1-D index viewed over a shape of ndim dims: stride 0 everywhere except along dim.
Strides along_dim(const Tensor& index, size_t ndim, int64_t dim) {
  Strides s(ndim, 0);
  s[dim] = index.stride(0);
  return s;
}

// Throws naming the op, the first offending position and its value when an
// index falls outside [0, limit) (the CPU backend's check_indices).
void check_indices(CudaBackend& be, const Launch& l, const char* op, const Tensor& index,
                   int64_t dim, int64_t limit) {
  NF_CHECK(index.dtype() == DType::i64, op, ": index must be i64, got ", dtype_name(index.dtype()));
  if (index.numel() == 0) return;
  auto arg = collapsed_args(index.shape(), {&index}, op);
  const int64_t bad = first_bad_index(arg[0], index.numel(), limit, be.allocator(), l);
  if (bad < 0) return;
  int64_t rem = bad, offset = 0;
  for (int64_t d = index.dim() - 1; d >= 0; --d) {
    offset += (rem % index.size(d)) * index.stride(d);
    rem /= index.size(d);
  }
  int64_t value = 0;
  be.copy_to_host(&value, static_cast<const int64_t*>(index.raw_data()) + offset, sizeof(value));
  NF_FAIL(op, ": index ", value, " at position ", position_str(index.shape(), bad),
          " is out of range for dim ", dim, " of size ", limit);
}

// out[p] = x[p with coordinate dim replaced by index[p]] over out's shape;
// index_strides are the index's strides over out's shape.
void gather_rows(const Launch& l, const char* op, const Tensor& x, int64_t dim,
                 const Tensor& index, const Strides& index_strides, Tensor& out) {
  NF_CHECK(out.dtype() == x.dtype(), op, ": output dtype ", dtype_name(out.dtype()),
           " differs from input dtype ", dtype_name(x.dtype()));
  if (out.numel() == 0) return;
  Strides xs = x.strides();
  const int64_t x_dim_stride = xs[dim];
  xs[dim] = 0;
  Tensor xv = restrided(x, out.shape(), xs);
  Tensor iv = restrided(index, out.shape(), index_strides);
  auto args = collapsed_args(out.shape(), {&out, &xv, &iv}, op);
  cuda::gather(args[0], args[1], args[2], x_dim_stride, out.numel(), l);
}

// out[p with dim = index[q]] += src[q] over src's shape; index_strides are the
// index's strides over src's shape.
void scatter_rows(const Launch& l, const char* op, Tensor& out, int64_t dim,
                  const Tensor& index, const Strides& index_strides, const Tensor& src) {
  NF_CHECK(out.dtype() == src.dtype(), op, ": source dtype ", dtype_name(src.dtype()),
           " differs from destination dtype ", dtype_name(out.dtype()));
  const DType dt = out.dtype();
  NF_CHECK(dt == DType::f32 || dt == DType::f64 || dt == DType::i64, op, ": unsupported dtype ",
           dtype_name(dt), " (expected f32, f64 or i64)");
  if (src.numel() == 0) return;
  Strides os = out.strides();
  const int64_t out_dim_stride = os[dim];
  os[dim] = 0;
  Tensor ov = restrided(out, src.shape(), os);
  Tensor iv = restrided(index, src.shape(), index_strides);
  auto args = collapsed_args(src.shape(), {&src, &ov, &iv}, op);
  cuda::scatter_add(args[1], args[0], args[2], out_dim_stride, src.numel(), l);
}

}  // namespace

void CudaBackend::index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  check_device(x, "index_select");
  check_device(out, "index_select");
  check_select_shapes("index_select", x, dim, index, out);
  DeviceGuard guard(index_);
  check_device(index, "index_select");
  check_indices(*this, launch(), "index_select", index, dim, x.size(dim));
  gather_rows(launch(), "index_select", x, dim, index, along_dim(index, out.shape().size(), dim),
              out);
}

void CudaBackend::index_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  check_device(out, "index_add");
  check_device(src, "index_add");
  check_select_shapes("index_add", out, dim, index, src);
  DeviceGuard guard(index_);
  check_device(index, "index_add");
  check_indices(*this, launch(), "index_add", index, dim, out.size(dim));
  scatter_rows(launch(), "index_add", out, dim, index, along_dim(index, src.shape().size(), dim),
               src);
}

void CudaBackend::gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) {
  check_device(x, "gather");
  check_device(out, "gather");
  check_gather_shapes("gather", x, dim, index, out);
  DeviceGuard guard(index_);
  check_device(index, "gather");
  check_indices(*this, launch(), "gather", index, dim, x.size(dim));
  gather_rows(launch(), "gather", x, dim, index, index.strides(), out);
}

void CudaBackend::scatter_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  check_device(out, "scatter_add");
  check_device(src, "scatter_add");
  check_gather_shapes("scatter_add", out, dim, index, src);
  DeviceGuard guard(index_);
  check_device(index, "scatter_add");
  check_indices(*this, launch(), "scatter_add", index, dim, out.size(dim));
  scatter_rows(launch(), "scatter_add", out, dim, index, index.strides(), src);
}

}  // namespace nf::cuda
