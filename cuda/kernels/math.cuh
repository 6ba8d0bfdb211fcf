// Device math by element type: the float overloads call the f-suffixed CUDA
// functions (expf, ...), the double ones the plain ones, so a kernel template
// on T never silently promotes f32 work to f64. Included only by .cu files.
#pragma once

namespace nf::cuda {

__device__ __forceinline__ float dev_exp(float v) { return expf(v); }
__device__ __forceinline__ double dev_exp(double v) { return exp(v); }
__device__ __forceinline__ float dev_log(float v) { return logf(v); }
__device__ __forceinline__ double dev_log(double v) { return log(v); }
__device__ __forceinline__ float dev_sqrt(float v) { return sqrtf(v); }
__device__ __forceinline__ double dev_sqrt(double v) { return sqrt(v); }
__device__ __forceinline__ float dev_abs(float v) { return fabsf(v); }
__device__ __forceinline__ double dev_abs(double v) { return fabs(v); }
__device__ __forceinline__ float dev_tanh(float v) { return tanhf(v); }
__device__ __forceinline__ double dev_tanh(double v) { return tanh(v); }
__device__ __forceinline__ float dev_pow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double dev_pow(double x, double y) { return pow(x, y); }
// NaN and +-Inf are exactly the values for which v - v is not 0.
template <typename T>
__device__ __forceinline__ bool dev_nonfinite(T v) {
  return !(v - v == T(0));
}

}  // namespace nf::cuda
