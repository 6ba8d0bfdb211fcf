// The CPU backend: OpenMP kernels behind the Backend and FusedBackend
// interfaces. Each family of methods is defined in its own file:
//   memory.cpp (allocate/copies), elementwise.cpp (fill/copy/unary/binary/where),
//   reduce.cpp, gemm.cpp (matmul), random.cpp, index.cpp,
//   conv.cpp (conv2d + depthwise), pool.cpp, batchnorm.cpp, softmax.cpp (+ nll).
// Each fast kernel has a naive twin in reference.h used as its test oracle.
#pragma once
#include "tensor/backend.h"

namespace nf::cpu {

class CpuBackend final : public Backend, public FusedBackend {
 public:
  Device device() const override { return Device::cpu(); }
  const char* name() const override { return "cpu"; }

  void* allocate(size_t nbytes) override;
  void deallocate(void* ptr, size_t nbytes) override;
  void copy_from_host(void* dst, const void* host_src, size_t nbytes) override;
  void copy_to_host(void* host_dst, const void* src, size_t nbytes) override;

  void fill(Tensor& out, double value) override;
  void copy(const Tensor& src, Tensor& dst) override;
  void unary(UnaryOp op, const Tensor& x, Tensor& out, double alpha) override;
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override;
  void where(const Tensor& cond, const Tensor& a, const Tensor& b, Tensor& out) override;
  void reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims, Tensor& out) override;
  void matmul(const Tensor& a, const Tensor& b, Tensor& out) override;
  void random(RandomKind kind, Tensor& out, uint64_t seed, uint64_t offset, double a,
              double b) override;
  void index_select(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) override;
  void index_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;
  void gather(const Tensor& x, int64_t dim, const Tensor& index, Tensor& out) override;
  void scatter_add(Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) override;

  FusedBackend* fused() override { return this; }

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
  void softmax_backward(const Tensor& grad_out, const Tensor& y, bool log, Tensor& grad_x) override;
  void nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index,
                Tensor& out) override;
  void nll_loss_backward(const Tensor& grad_out, const Tensor& target, int64_t ignore_index,
                         Tensor& grad_logp) override;
  // optim.cpp
  void sgd_step(Tensor& param, const Tensor& grad, Tensor& momentum_buf, double lr,
                double momentum, double weight_decay, bool nesterov) override;
  void adam_step(Tensor& param, const Tensor& grad, Tensor& exp_avg, Tensor& exp_avg_sq,
                 double lr, double beta1, double beta2, double eps, double weight_decay,
                 bool decoupled, int64_t step) override;
};

CpuBackend& cpu_backend();

}  // namespace nf::cpu
