// Host side of reduce: the CPU backend's checks and messages, then the plan
// for kernels/reduce.cu: x described over its kept dims and over its reduced
// dims (each collapsed), and the loop order (see ReducePlan::columns).
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/kernels/reduce.h"
#include "cuda/tensor_arg.h"
#include "tensor/cpu/arg_checks.h"
#include "tensor/cpu/op_names.h"

namespace nf::cuda {

// Argument checks shared with the CPU backend (the same messages).
using cpu::check_reduce;

namespace {

// x viewed with the given dims only (same storage and offset), collapsed.
TensorArg collapsed_view(const Tensor& x, const Shape& shape, const Strides& strides,
                         const char* op) {
  Tensor v(x.storage(), shape, strides, x.offset(), x.dtype());
  return collapsed_args(shape, {&v}, op)[0];
}

}  // namespace

void CudaBackend::reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims,
                         Tensor& out) {
  const char* name = cpu::op_name(op);
  check_device(x, name);
  check_device(out, name);
  const int64_t nd = x.dim();
  const std::vector<bool> is_reduced = check_reduce(op, x, dims, out);
  if (out.numel() == 0) return;

  // Kept and reduced dims; the reduced ones (except argmax's single dim) in
  // decreasing |stride| so the innermost is the most contiguous, as on the CPU.
  Shape kept_shape, red_shape;
  Strides kept_strides, red_strides;
  std::vector<int64_t> red_dims;
  for (int64_t d = 0; d < nd; ++d) {
    if (is_reduced[d]) {
      red_dims.push_back(d);
    } else {
      kept_shape.push_back(x.size(d));
      kept_strides.push_back(x.stride(d));
    }
  }
  if (op != ReduceOp::argmax)
    std::stable_sort(red_dims.begin(), red_dims.end(), [&](int64_t a, int64_t b) {
      return std::abs(x.stride(a)) > std::abs(x.stride(b));
    });
  for (int64_t d : red_dims) {
    red_shape.push_back(x.size(d));
    red_strides.push_back(x.stride(d));
  }
  ReducePlan plan;
  plan.out_numel = shape_numel(kept_shape);
  plan.red_numel = shape_numel(red_shape);
  NF_CHECK(plan.red_numel > 0 || op == ReduceOp::sum || op == ReduceOp::mean, name,
           ": cannot reduce over an empty dim of shape ", shape_str(x.shape()));
  const DType dt = x.dtype();
  NF_CHECK(dt == DType::f32 || dt == DType::f64 || dt == DType::i64, name, ": unsupported dtype ",
           dtype_name(dt));
  NF_CHECK(op != ReduceOp::mean || is_floating(dt),
           "mean: expected a floating dtype (f32 or f64), got ", dtype_name(dt));

  DeviceGuard guard(index_);
  if (plan.red_numel == 0) {  // as on the CPU: sum of nothing is 0, mean is 0/0 = NaN
    auto o = collapsed_args(out.shape(), {&out}, "cuda reduce");
    cuda::fill(o[0], out.numel(), op == ReduceOp::sum ? 0.0 : std::nan(""), launch());
    return;
  }
  plan.kept = collapsed_view(x, kept_shape, kept_strides, "cuda reduce");
  plan.reduced = collapsed_view(x, red_shape, red_strides, "cuda reduce");
  const TensorArg& k = plan.kept;
  const TensorArg& r = plan.reduced;
  plan.columns = k.sizes[k.ndim - 1] > 1 && r.sizes[r.ndim - 1] > 1 &&
                 std::abs(k.strides[k.ndim - 1]) < std::abs(r.strides[r.ndim - 1]);
  cuda::reduce(op, dt, plan, out.raw_data(), allocator_, launch());
}

}  // namespace nf::cuda
