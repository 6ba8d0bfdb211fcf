// Which GEMM the CUDA backend runs (matmul and the convolutions): the
// hand-written tiled kernel (kernels/gemm.cu) or cuBLAS, in strict FP32 or
// with TF32 tensor cores. The choice is process-wide; unless set_gemm_impl()
// came first, it is read once from the environment variable
// NF_CUDA_GEMM=hand|cublas|cublas_tf32 on the first gemm_impl() (an unknown
// value throws naming the variable), default cublas. TF32 is used
// only when asked for: it rounds the inputs to 10 mantissa bits. f64 products
// ignore the TF32 setting.
#pragma once
#include <optional>
#include <string_view>

namespace nf::cuda {

enum class GemmImpl { hand, cublas, cublas_tf32 };

void set_gemm_impl(GemmImpl impl);
GemmImpl gemm_impl();  // thread-safe; each GEMM reads it once

const char* gemm_impl_name(GemmImpl impl);  // "hand", "cublas", "cublas_tf32"
// The impl named `name` (as gemm_impl_name writes it), or nullopt.
std::optional<GemmImpl> parse_gemm_impl(std::string_view name);

}  // namespace nf::cuda
