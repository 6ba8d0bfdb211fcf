// Runs a batched GEMM (kernels/gemm.h's GemmBatch) on a CUDA backend with the
// implementation gemm_select.h chooses: the hand kernels or cuBLAS. cuBLAS is
// column-major, so a row-major C = op(A) op(B) is run as C^T = op(B)^T op(A)^T
// (swap the operands, keep each one's transpose flag). cuBLAS needs leading
// dims of at least the stored row length and 32-bit sizes; products outside
// that fall back to the hand kernels.
#pragma once
#include "cuda/cuda_backend.h"
#include "cuda/kernels/gemm.h"

namespace nf::cuda {

void gemm(CudaBackend& be, const GemmBatch<float>& g);
void gemm(CudaBackend& be, const GemmBatch<double>& g);

}  // namespace nf::cuda
