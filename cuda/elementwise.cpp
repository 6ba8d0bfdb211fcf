// Host side of fill and copy: check devices and shapes, collapse dims, launch
// the kernels in kernels/fill.cu and kernels/copy.cu.
#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/tensor_arg.h"

namespace nf::cuda {

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

}  // namespace nf::cuda
