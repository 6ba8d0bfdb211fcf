// The Backend interface: the primitives one device implements. The front end
// (tensor/ops.h) validates arguments, computes result shapes, allocates outputs
// and broadcasts inputs (stride 0) before calling in, so a backend only loops.
//
// Conventions for every method:
//  - outputs are allocated by the caller, on this backend's device, with the
//    dtype the op produces; "contiguous" below means row-major dense.
//  - elementwise inputs already have the output's shape (broadcast = stride 0)
//    and may have any strides; outputs of elementwise ops may be strided too.
//  - floating ops support f32 and f64 (f64 exists for gradchecks).
//
// Fused neural-network kernels form a second interface (FusedBackend) that a
// backend may or may not provide; `Backend::fused()` returns nullptr if not.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tensor/device.h"
#include "tensor/tensor.h"

namespace nf {

enum class UnaryOp : uint8_t {
  neg, exp, log, sqrt, rsqrt, abs, sign, tanh, sigmoid, relu,
  square,
  pow_scalar,      // x^alpha
  add_scalar,      // x + alpha
  mul_scalar,      // x * alpha
  rsub_scalar,     // alpha - x
  gt_scalar,       // x > alpha  (1 or 0, in x's dtype unless out is bool)
  relu_grad_mask,  // x > 0 ? 1 : 0
  clamp_min,       // max(x, alpha)
  clamp_max,       // min(x, alpha)
  is_nonfinite,    // 1 where x is NaN or +-Inf
};

enum class BinaryOp : uint8_t {
  add, sub, mul, div, pow, maximum, minimum,
  eq, ne, lt, le, gt, ge,  // comparisons write 1/0 in the output dtype
};

enum class ReduceOp : uint8_t { sum, mean, max, min, argmax };

enum class RandomKind : uint8_t {
  uniform,    // U[a, b)
  normal,     // N(mean = a, std = b)
  bernoulli,  // 1 with probability a, else 0
};

// conv2d on NCHW input, OIHW weight (I = C_in / groups).
struct ConvParams {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
};

// 2-D pooling on NCHW; padding is implicit -inf (max) or excluded from the
// divisor (avg, count_include_pad = false).
struct PoolParams {
  int64_t kernel_h = 2, kernel_w = 2;
  int64_t stride_h = 2, stride_w = 2;
  int64_t pad_h = 0, pad_w = 0;
};

class FusedBackend;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual const char* name() const = 0;

  // --- memory -----------------------------------------------------------
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
  virtual void copy_from_host(void* dst, const void* host_src, size_t nbytes) = 0;
  virtual void copy_to_host(void* host_dst, const void* src, size_t nbytes) = 0;

  // --- elementwise --------------------------------------------------------
  virtual void fill(Tensor& out, double value) = 0;                   // any dtype, any strides
  virtual void copy(const Tensor& src, Tensor& dst) = 0;              // same shape; casts dtype
  virtual void unary(UnaryOp op, const Tensor& x, Tensor& out, double alpha) = 0;
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // out = cond ? a : b, with cond bool/u8 and a, b, out of one dtype
  virtual void where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) = 0;

  // --- reductions -----------------------------------------------------------
  // `out` has x's rank with every reduced dim of size 1 (keepdim form) and is
  // contiguous. argmax reduces exactly one dim and writes i64.
  virtual void reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims, Tensor& out) = 0;

  // --- matmul -------------------------------------------------------------
  // a [B,M,K], b [B,K,N], out [B,M,N] contiguous. The last two dims of a and b
  // are each either row-major (stride(2) == 1) or transposed (stride(1) == 1),
  // so they map onto GEMM's transpose flags; batch strides may be 0.
  virtual void matmul(const Tensor& a, const Tensor& b, Tensor& out) = 0;

  // --- random -------------------------------------------------------------
  // Counter-based: element i (row-major) gets the numbers of counter offset+i
  // under key seed, so results do not depend on threads or device.
  virtual void random(RandomKind kind, Tensor& out, uint64_t seed, uint64_t offset, double a,
                      double b) = 0;

  // --- indexing (index is i64, 1-D for *_select/add, out/src contiguous) -----
  virtual void index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) = 0;
  virtual void index_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) = 0;
  // gather/scatter_add: index has the shape of out (gather) / src (scatter_add).
  virtual void gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) = 0;
  virtual void scatter_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) = 0;

  virtual FusedBackend* fused() { return nullptr; }
};

// Fused neural-network kernels. All tensors contiguous, floating (f32/f64).
// Optional tensors are passed undefined (Tensor{}) when absent.
class FusedBackend {
 public:
  virtual ~FusedBackend() = default;

  // x [N,C,H,W], w [O,C/g,KH,KW], bias [O] or undefined -> out [N,O,OH,OW]
  virtual void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias,
                              const ConvParams& p, Tensor& out) = 0;
  // grad_x [N,C,H,W] = conv-transpose of grad_out with w
  virtual void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const ConvParams& p,
                                     Tensor& grad_x) = 0;
  // grad_w [O,C/g,KH,KW] = correlation of x with grad_out (overwritten, not accumulated)
  virtual void conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const ConvParams& p,
                                      Tensor& grad_w) = 0;

  // out [N,C,OH,OW]; indices (i64, same shape) hold the flat h*W+w of each max.
  virtual void max_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out,
                                  Tensor& indices) = 0;
  virtual void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices,
                                   Tensor& grad_x) = 0;  // grad_x zero-filled by the kernel
  virtual void avg_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out) = 0;
  virtual void avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p,
                                   Tensor& grad_x) = 0;  // grad_x zero-filled by the kernel

  // x [N,C,*]. Training: normalise with the batch mean and biased variance,
  // write save_mean/save_invstd [C], and (if defined) update running_mean and
  // running_var (unbiased) with `momentum` (PyTorch convention). Eval: use the
  // running statistics and write them as save_mean/save_invstd.
  // weight/bias [C] optional (affine off).
  virtual void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                  Tensor& running_mean, Tensor& running_var, bool training,
                                  double momentum, double eps, Tensor& out, Tensor& save_mean,
                                  Tensor& save_invstd) = 0;
  // grad_weight/grad_bias written only when defined. In training mode the
  // batch statistics depend on x and their gradient terms are included.
  virtual void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                   const Tensor& save_mean, const Tensor& save_invstd,
                                   bool training, Tensor& grad_x, Tensor& grad_weight,
                                   Tensor& grad_bias) = 0;

  // Over the last dim of x [R, C]: out = softmax or log_softmax.
  virtual void softmax(const Tensor& x, bool log, Tensor& out) = 0;
  // grad_x from grad_out and the forward result y.
  virtual void softmax_backward(const Tensor& grad_out, const Tensor& y, bool log,
                                Tensor& grad_x) = 0;

  // logp [N,C], target i64 [N] -> out scalar (0-d) = -mean_i logp[i, target[i]]
  // over targets != ignore_index. Targets outside [0,C) (other than
  // ignore_index) throw naming the row and value.
  virtual void nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index,
                        Tensor& out) = 0;
  // grad_logp [N,C] = -grad_out / count at (i, target[i]), 0 elsewhere.
  virtual void nll_loss_backward(const Tensor& grad_out, const Tensor& target,
                                 int64_t ignore_index, Tensor& grad_logp) = 0;

  // --- optimizer updates: one pass, in place; every tensor contiguous, with the
  // parameter's shape and dtype (f32/f64); grad is read only. Scalars are
  // rounded to the dtype once (as the raw ops do) and each step below is one
  // operation in that dtype, so the result equals the op sequence of
  // nn/optim/sgd.cpp / adam.cpp (bit-identical on the CPU).
  // SGD (PyTorch's, dampening 0; momentum_buf starts at 0, so the first step
  // sets buf = d; momentum_buf is unused and may be undefined when momentum == 0):
  //   d = g + weight_decay * p                   (only when weight_decay != 0)
  //   buf = momentum * buf + d                   (only when momentum != 0)
  //   d = nesterov ? d + momentum * buf : buf    (only when momentum != 0)
  //   p = p - lr * d
  virtual void sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buf, double lr,
                        double momentum, double weight_decay, bool nesterov) = 0;
  // Adam / AdamW (decoupled); exp_avg (m) and exp_avg_sq (v) start at 0; step
  // t >= 1 is the optimizer's step count. With weight_decay != 0:
  //   Adam:  g = g + weight_decay * p        AdamW: p = p * (1 - lr * weight_decay)
  // then
  //   m = beta1 * m + (1 - beta1) * g,   v = beta2 * v + (1 - beta2) * g * g
  //   p = p + (-lr / (1 - beta1^t)) * m / (sqrt(v) * (1 / sqrt(1 - beta2^t)) + eps)
  virtual void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                         double lr, double beta1, double beta2, double eps, double weight_decay,
                         bool decoupled, int64_t step) = 0;
};

// The backend of a device; throws if that device has no backend (e.g. a
// CUDA tensor in a build without CUDA).
Backend& backend_for(Device d);
// Backends register themselves at static-initialisation time.
void register_backend(DeviceType type, Backend* (*factory)(int index));

}  // namespace nf
