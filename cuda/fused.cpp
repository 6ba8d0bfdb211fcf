// Host side of the CUDA FusedBackend except the convolutions (conv.cpp):
// the CPU backend's argument checks and error messages, then the kernels of
// kernels/{pool,batchnorm,softmax,optim}.cu on the backend's stream.
#include "cuda/fused.h"

#include <vector>

#include "cuda/check.h"
#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/kernels/batchnorm.h"
#include "cuda/kernels/optim.h"
#include "cuda/kernels/pool.h"
#include "cuda/kernels/softmax.h"
#include "cuda/scratch.h"
#include "tensor/cpu/arg_checks.h"

namespace nf::cuda {

// Argument checks shared with the CPU backend (the same messages).
using cpu::check_like;
using cpu::check_param;
using cpu::check_same;
using cpu::Rows;
using cpu::rows_of;

namespace {

// x-like [N,C,H,W], out-like [N,C,OH,OW], both contiguous.
PoolShape pool_shape(const Tensor& x, const Tensor& y, const char* op) {
  NF_CHECK(x.dim() == 4 && y.dim() == 4 && x.size(0) == y.size(0) && x.size(1) == y.size(1) &&
               x.is_contiguous() && y.is_contiguous(),
           op, ": cuda kernel got input ", shape_str(x.shape()), " and output ",
           shape_str(y.shape()));
  PoolShape s;
  s.planes = x.size(0) * x.size(1);
  s.H = x.size(2);
  s.W = x.size(3);
  s.OH = y.size(2);
  s.OW = y.size(3);
  return s;
}

void set_window(PoolShape& s, const PoolParams& p) {
  s.kh = p.kernel_h;
  s.kw = p.kernel_w;
  s.sh = p.stride_h;
  s.sw = p.stride_w;
  s.ph = p.pad_h;
  s.pw = p.pad_w;
}

ChannelShape channel_shape(const Tensor& x, const char* op) {
  NF_CHECK(x.dim() >= 2, op, ": expected x [N,C,*], got ", shape_str(x.shape()));
  NF_CHECK(x.is_contiguous(), op, ": x ", shape_str(x.shape()), " must be contiguous");
  int64_t s = 1;
  for (int64_t d = 2; d < x.dim(); ++d) s *= x.size(d);
  return {x.size(0), x.size(1), s};
}

void check_floating(const Tensor& x, const char* op) {
  NF_CHECK(is_floating(x.dtype()), op, ": expected a floating dtype (f32 or f64), got ",
           dtype_name(x.dtype()));
}

const void* ptr_or_null(const Tensor& t) { return t.defined() ? t.raw_data() : nullptr; }
void* mut_ptr_or_null(const Tensor& t) { return t.defined() ? t.raw_data() : nullptr; }

// Validates every target on the host (they are few: one per row) with the CPU
// backend's messages, and returns how many rows are not ignored.
int64_t count_targets(const Tensor& target, int64_t N, int64_t C, int64_t ignore_index,
                      const char* op) {
  NF_CHECK(target.dtype() == DType::i64 && target.dim() == 1 && target.size(0) == N &&
               target.is_contiguous(),
           op, ": target must be a contiguous i64 [", N, "], got ", shape_str(target.shape()), " ",
           dtype_name(target.dtype()));
  const std::vector<int64_t> t = target.to_vector<int64_t>();
  int64_t count = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (t[size_t(i)] == ignore_index) continue;
    NF_CHECK(t[size_t(i)] >= 0 && t[size_t(i)] < C, op, ": target ", t[size_t(i)], " at row ", i,
             " is out of range [0,", C, ") (ignore_index ", ignore_index, ")");
    ++count;
  }
  return count;
}

}  // namespace

Launch CudaFusedBackend::launch() const { return be_.launch(); }

void CudaFusedBackend::check_devices(const char* op, std::initializer_list<const Tensor*> ts) const {
  for (const Tensor* t : ts)
    if (t->defined())
      NF_CHECK(t->device() == be_.device(), "cuda ", op, ": tensor on ", t->device().str(),
               " given to the ", be_.device().str(), " backend");
}

// --- pooling -------------------------------------------------------------------

void CudaFusedBackend::max_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out,
                                          Tensor& indices) {
  check_devices("max_pool2d", {&x, &out, &indices});
  PoolShape s = pool_shape(x, out, "max_pool2d");
  set_window(s, p);
  NF_CHECK(indices.dtype() == DType::i64 && indices.shape() == out.shape() &&
               indices.is_contiguous(),
           "max_pool2d: indices must be a contiguous i64 ", shape_str(out.shape()));
  DeviceGuard guard(be_.device().index);
  max_pool_forward(s, x.dtype(), x.raw_data(), out.raw_data(), indices.data<int64_t>(), launch());
}

void CudaFusedBackend::max_pool2d_backward(const Tensor& grad_out, const Tensor& indices,
                                           Tensor& grad_x) {
  check_devices("max_pool2d_backward", {&grad_out, &indices, &grad_x});
  const PoolShape s = pool_shape(grad_x, grad_out, "max_pool2d_backward");
  NF_CHECK(indices.dtype() == DType::i64 && indices.shape() == grad_out.shape() &&
               indices.is_contiguous(),
           "max_pool2d_backward: indices must be a contiguous i64 ", shape_str(grad_out.shape()));
  DeviceGuard guard(be_.device().index);
  Scratch bad(be_, sizeof(int));
  NF_CUDA_CHECK(cudaMemsetAsync(bad.as<int>(), 0, sizeof(int), be_.stream()));
  max_pool_backward(s, grad_out.dtype(), grad_out.raw_data(), indices.data<int64_t>(),
                    grad_x.raw_data(), bad.as<int>(), launch());
  int bad_index = 0;
  be_.copy_to_host(&bad_index, bad.as<int>(), sizeof(int));  // waits for the kernel
  NF_CHECK(!bad_index, "max_pool2d_backward: an index lies outside the ", s.H, "x", s.W,
           " input plane (indices must come from max_pool2d on input ",
           shape_str(grad_x.shape()), ")");
}

void CudaFusedBackend::avg_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out) {
  check_devices("avg_pool2d", {&x, &out});
  PoolShape s = pool_shape(x, out, "avg_pool2d");
  set_window(s, p);
  DeviceGuard guard(be_.device().index);
  avg_pool_forward(s, x.dtype(), x.raw_data(), out.raw_data(), launch());
}

void CudaFusedBackend::avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p,
                                           Tensor& grad_x) {
  check_devices("avg_pool2d_backward", {&grad_out, &grad_x});
  PoolShape s = pool_shape(grad_x, grad_out, "avg_pool2d_backward");
  set_window(s, p);
  DeviceGuard guard(be_.device().index);
  avg_pool_backward(s, grad_out.dtype(), grad_out.raw_data(), grad_x.raw_data(), launch());
}

// --- batch norm ------------------------------------------------------------------

void CudaFusedBackend::batch_norm_forward(const Tensor& x, const Tensor& weight,
                                          const Tensor& bias, Tensor& running_mean,
                                          Tensor& running_var, bool training, double momentum,
                                          double eps, Tensor& out, Tensor& save_mean,
                                          Tensor& save_invstd) {
  check_devices("batch_norm_forward",
                {&x, &weight, &bias, &running_mean, &running_var, &out, &save_mean, &save_invstd});
  const ChannelShape s = channel_shape(x, "batch_norm_forward");
  check_floating(x, "batch_norm_forward");
  if (training) {
    // As PyTorch: the unbiased running variance needs at least two values.
    NF_CHECK(s.N * s.S > 1,
             "batch_norm_forward: expected more than 1 value per channel when training, got x ",
             shape_str(x.shape()));
  } else {
    NF_CHECK(running_mean.defined() && running_var.defined(),
             "batch_norm_forward: eval mode needs running_mean and running_var");
  }
  DeviceGuard guard(be_.device().index);
  cuda::batch_norm_forward(s, x.dtype(), x.raw_data(), ptr_or_null(weight), ptr_or_null(bias),
                           mut_ptr_or_null(running_mean), mut_ptr_or_null(running_var), training,
                           momentum, eps, out.raw_data(), save_mean.raw_data(),
                           save_invstd.raw_data(), launch());
}

void CudaFusedBackend::batch_norm_backward(const Tensor& grad_out, const Tensor& x,
                                           const Tensor& weight, const Tensor& save_mean,
                                           const Tensor& save_invstd, bool training,
                                           Tensor& grad_x, Tensor& grad_weight,
                                           Tensor& grad_bias) {
  check_devices("batch_norm_backward", {&grad_out, &x, &weight, &save_mean, &save_invstd,
                                        &grad_x, &grad_weight, &grad_bias});
  const ChannelShape s = channel_shape(x, "batch_norm_backward");
  NF_CHECK(grad_out.shape() == x.shape() && grad_out.is_contiguous(),
           "batch_norm_backward: grad_out ", shape_str(grad_out.shape()),
           " must be contiguous with the shape of x ", shape_str(x.shape()));
  check_floating(x, "batch_norm_backward");
  DeviceGuard guard(be_.device().index);
  cuda::batch_norm_backward(s, x.dtype(), grad_out.raw_data(), x.raw_data(), ptr_or_null(weight),
                            save_mean.raw_data(), save_invstd.raw_data(), training,
                            mut_ptr_or_null(grad_x), mut_ptr_or_null(grad_weight),
                            mut_ptr_or_null(grad_bias), launch());
}

// --- softmax and NLL -------------------------------------------------------------------

void CudaFusedBackend::softmax(const Tensor& x, bool log, Tensor& out) {
  check_devices("softmax", {&x, &out});
  const Rows r = rows_of(x, "softmax");
  check_same(x, out, "softmax", "out");
  DeviceGuard guard(be_.device().index);
  softmax_rows(r.R, r.C, x.dtype(), x.raw_data(), log, out.raw_data(), launch());
}

void CudaFusedBackend::softmax_backward(const Tensor& grad_out, const Tensor& y, bool log,
                                        Tensor& grad_x) {
  check_devices("softmax_backward", {&grad_out, &y, &grad_x});
  const Rows r = rows_of(y, "softmax_backward");
  check_same(y, grad_out, "softmax_backward", "grad_out");
  check_same(y, grad_x, "softmax_backward", "grad_x");
  DeviceGuard guard(be_.device().index);
  softmax_backward_rows(r.R, r.C, y.dtype(), grad_out.raw_data(), y.raw_data(), log,
                        grad_x.raw_data(), launch());
}

// With every row ignored the mean is 0/0 = NaN, as on the CPU and in PyTorch.
void CudaFusedBackend::nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index,
                                Tensor& out) {
  check_devices("nll_loss", {&logp, &target, &out});
  const Rows r = rows_of(logp, "nll_loss");
  const int64_t count = count_targets(target, r.R, r.C, ignore_index, "nll_loss");
  NF_CHECK(out.numel() == 1 && out.dtype() == logp.dtype(), "nll_loss: out must be a ",
           dtype_name(logp.dtype()), " scalar, got ", shape_str(out.shape()), " ",
           dtype_name(out.dtype()));
  DeviceGuard guard(be_.device().index);
  nll_loss_forward(r.R, r.C, logp.dtype(), logp.raw_data(), target.data<int64_t>(), ignore_index,
                   count, out.raw_data(), launch());
}

void CudaFusedBackend::nll_loss_backward(const Tensor& grad_out, const Tensor& target,
                                         int64_t ignore_index, Tensor& grad_logp) {
  check_devices("nll_loss_backward", {&grad_out, &target, &grad_logp});
  const Rows r = rows_of(grad_logp, "nll_loss_backward");
  const int64_t count = count_targets(target, r.R, r.C, ignore_index, "nll_loss_backward");
  NF_CHECK(grad_out.numel() == 1 && grad_out.dtype() == grad_logp.dtype(),
           "nll_loss_backward: grad_out must be a ", dtype_name(grad_logp.dtype()),
           " scalar, got ", shape_str(grad_out.shape()), " ", dtype_name(grad_out.dtype()));
  DeviceGuard guard(be_.device().index);
  cuda::nll_loss_backward(r.R, r.C, grad_logp.dtype(), grad_out.raw_data(),
                          target.data<int64_t>(), ignore_index, count, grad_logp.raw_data(),
                          launch());
}


// --- optimizer updates (formulas in tensor/backend.h) -----------------------------


void CudaFusedBackend::sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buf, double lr,
                                double momentum, double weight_decay, bool nesterov) {
  check_param(param, "sgd_step");
  check_devices("sgd_step", {&param, &grad, &momentum_buf});
  check_like(param, grad, "sgd_step", "grad");
  NF_CHECK(!nesterov || momentum != 0, "sgd_step: Nesterov momentum needs momentum != 0");
  if (momentum != 0) check_like(param, momentum_buf, "sgd_step", "momentum_buf");
  check_floating(param, "sgd_step");
  DeviceGuard guard(be_.device().index);
  cuda::sgd_step(param.numel(), param.dtype(), param.raw_data(), grad.raw_data(),
                 momentum != 0 ? momentum_buf.raw_data() : nullptr, lr, momentum, weight_decay,
                 nesterov, launch());
}

void CudaFusedBackend::adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg,
                                 Tensor& exp_avg_sq, double lr, double beta1, double beta2,
                                 double eps, double weight_decay, bool decoupled, int64_t step) {
  check_param(param, "adam_step");
  check_devices("adam_step", {&param, &grad, &exp_avg, &exp_avg_sq});
  check_like(param, grad, "adam_step", "grad");
  check_like(param, exp_avg, "adam_step", "exp_avg");
  check_like(param, exp_avg_sq, "adam_step", "exp_avg_sq");
  NF_CHECK(step >= 1, "adam_step: step must be >= 1 (bias correction), got ", step);
  check_floating(param, "adam_step");
  DeviceGuard guard(be_.device().index);
  cuda::adam_step(param.numel(), param.dtype(), param.raw_data(), grad.raw_data(),
                  exp_avg.raw_data(), exp_avg_sq.raw_data(), lr, beta1, beta2, eps, weight_decay,
                  decoupled, step, launch());
}

}  // namespace nf::cuda
