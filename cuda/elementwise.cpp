// Host side of the elementwise family (fill, copy, unary, binary, where):
// check devices, shapes and dtypes with the CPU backend's messages, collapse
// dims jointly, launch the kernels in kernels/{fill,copy,unary,binary}.cu.
#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/kernels/binary.h"
#include "cuda/kernels/unary.h"
#include "cuda/tensor_arg.h"
#include "tensor/cpu/op_names.h"

namespace nf::cuda {

namespace {

using cpu::is_comparison;
using cpu::is_mask_op;
using cpu::op_name;

// Same message as the CPU backend's check_same_shape.
void check_same_shape(const char* op, const Tensor& a, const Tensor& out) {
  NF_CHECK(a.shape() == out.shape(), op, ": input ", shape_str(a.shape()), " does not match output ",
           shape_str(out.shape()));
}

}  // namespace

void CudaBackend::fill(Tensor& out, double value) {
  check_device(out, "fill");
  if (out.numel() == 0) return;
  DeviceGuard guard(index_);
  auto args = collapsed_args(out.shape(), {&out}, "cuda fill");
  cuda::fill(args[0], out.numel(), value, launch());
}

void CudaBackend::copy(const Tensor& src, Tensor& dst) {
  check_device(src, "copy");
  check_device(dst, "copy");
  NF_CHECK(src.shape() == dst.shape(), "cuda copy: shape mismatch ", shape_str(src.shape()),
           " -> ", shape_str(dst.shape()));
  if (dst.numel() == 0) return;
  DeviceGuard guard(index_);
  auto args = collapsed_args(dst.shape(), {&src, &dst}, "cuda copy");
  cuda::copy(args[0], args[1], dst.numel(), launch());
}

void CudaBackend::unary(UnaryOp op, const Tensor& x, Tensor& out, double alpha) {
  check_device(x, "unary");
  check_device(out, "unary");
  check_same_shape(op_name(op), x, out);
  NF_CHECK(is_floating(x.dtype()), op_name(op), ": expected a floating dtype (f32 or f64), got ",
           dtype_name(x.dtype()));
  NF_CHECK(is_mask_op(op) || out.dtype() == x.dtype(), "unary ", op_name(op), ": output dtype ",
           dtype_name(out.dtype()), " differs from input dtype ", dtype_name(x.dtype()));
  if (out.numel() == 0) return;
  DeviceGuard guard(index_);
  auto args = collapsed_args(out.shape(), {&out, &x}, "cuda unary");
  cuda::unary(op, args[1], args[0], out.numel(), alpha, launch());
}

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  check_device(a, "binary");
  check_device(b, "binary");
  check_device(out, "binary");
  check_same_shape(op_name(op), a, out);
  check_same_shape(op_name(op), b, out);
  NF_CHECK(a.dtype() == b.dtype(), "binary ", op_name(op), ": dtype mismatch ", dtype_name(a.dtype()),
           " and ", dtype_name(b.dtype()));
  const DType dt = a.dtype(), od = out.dtype();
  NF_CHECK(dt == DType::f32 || dt == DType::f64 || dt == DType::i64, "binary ", op_name(op),
           ": unsupported dtype ", dtype_name(dt));
  if (is_comparison(op)) {
    NF_CHECK(od == DType::boolean || od == DType::u8 || od == dt, "binary ", op_name(op),
             ": output dtype must be bool, u8 or ", dtype_name(dt), ", got ", dtype_name(od));
  } else {
    NF_CHECK(od == dt, "binary ", op_name(op), ": output dtype ", dtype_name(od),
             " differs from input dtype ", dtype_name(dt));
    NF_CHECK(is_floating(dt) || (op != BinaryOp::div && op != BinaryOp::pow), "binary ",
             op_name(op), ": unsupported for dtype ", dtype_name(dt));
  }
  if (out.numel() == 0) return;
  DeviceGuard guard(index_);
  auto args = collapsed_args(out.shape(), {&out, &a, &b}, "cuda binary");
  cuda::binary(op, args[1], args[2], args[0], out.numel(), launch());
}

void CudaBackend::where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) {
  check_device(cond, "where");
  check_device(a, "where");
  check_device(b, "where");
  check_device(out, "where");
  check_same_shape("where", cond, out);
  check_same_shape("where", a, out);
  check_same_shape("where", b, out);
  NF_CHECK(cond.dtype() == DType::boolean || cond.dtype() == DType::u8,
           "where: condition must be bool or u8, got ", dtype_name(cond.dtype()));
  NF_CHECK(a.dtype() == out.dtype() && b.dtype() == out.dtype(), "where: dtypes ",
           dtype_name(a.dtype()), ", ", dtype_name(b.dtype()), " -> ", dtype_name(out.dtype()),
           " must agree");
  if (out.numel() == 0) return;
  DeviceGuard guard(index_);
  auto args = collapsed_args(out.shape(), {&out, &cond, &a, &b}, "cuda where");
  cuda::where(args[1], args[2], args[3], args[0], out.numel(), launch());
}

}  // namespace nf::cuda
