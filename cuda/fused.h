// The CUDA FusedBackend: convolutions (im2col/col2im + the GEMM of
// gemm_run.h, or direct depthwise kernels), pooling, batch norm,
// softmax/log-softmax and NLL loss, fused SGD/Adam updates, with the
// semantics of the CPU backend (tensor/cpu/*.cpp). One per CudaBackend (CudaBackend::fused()); every
// kernel runs on that backend's stream.
//
// Host side: conv.cpp (convolutions), fused.cpp (the rest); kernels in
// kernels/{im2col,depthwise,pool,batchnorm,softmax,optim}.cu.
#pragma once
#include <initializer_list>

#include "cuda/kernels/kernels.h"
#include "tensor/backend.h"

namespace nf::cuda {

class CudaBackend;

class CudaFusedBackend final : public FusedBackend {
 public:
  explicit CudaFusedBackend(CudaBackend& be) : be_(be) {}

  void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvParams& p,
                      Tensor& out) override;
  void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const ConvParams& p,
                             Tensor& grad_x) override;
  void conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const ConvParams& p,
                              Tensor& grad_w) override;

  void max_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out,
                          Tensor& indices) override;
  void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, Tensor& grad_x) override;
  void avg_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out) override;
  void avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, Tensor& grad_x) override;

  void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                          Tensor& running_mean, Tensor& running_var, bool training,
                          double momentum, double eps, Tensor& out, Tensor& save_mean,
                          Tensor& save_invstd) override;
  void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                           const Tensor& save_mean, const Tensor& save_invstd, bool training,
                           Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias) override;

  void softmax(const Tensor& x, bool log, Tensor& out) override;
  void softmax_backward(const Tensor& grad_out, const Tensor& y, bool log,
                        Tensor& grad_x) override;

  void nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index,
                Tensor& out) override;
  void nll_loss_backward(const Tensor& grad_out, const Tensor& target, int64_t ignore_index,
                         Tensor& grad_logp) override;

  void sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buf, double lr,
                double momentum, double weight_decay, bool nesterov) override;
  void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                 double lr, double beta1, double beta2, double eps, double weight_decay,
                 bool decoupled, int64_t step) override;

 private:
  // The backend's stream and grid cap.
  Launch launch() const;
  // Throws naming `op` unless every defined tensor lives on this device.
  void check_devices(const char* op, std::initializer_list<const Tensor*> ts) const;

  CudaBackend& be_;
};

}  // namespace nf::cuda
