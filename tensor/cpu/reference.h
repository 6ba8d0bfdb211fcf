// Naive reference kernels: the test oracles of the fast CPU kernels. Written
// for clarity (plain loops over logical indices, double accumulation), never
// for speed. Same contracts as the Backend/FusedBackend methods they mirror.
#pragma once
#include "tensor/backend.h"

namespace nf::cpu::ref {

void unary(UnaryOp op, const Tensor& x, Tensor& out, double alpha);
void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out);
void reduce(ReduceOp op, const Tensor& x, const std::vector<int64_t>& dims, Tensor& out);
void matmul(const Tensor& a, const Tensor& b, Tensor& out);

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvParams& p, Tensor& out);
void conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const ConvParams& p, Tensor& grad_x);
void conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const ConvParams& p, Tensor& grad_w);
void max_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out, Tensor& indices);
void max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, Tensor& grad_x);
void avg_pool2d_forward(const Tensor& x, const PoolParams& p, Tensor& out);
void avg_pool2d_backward(const Tensor& grad_out, const PoolParams& p, Tensor& grad_x);
void batch_norm_forward(const Tensor& x, const Tensor& weight, const Tensor& bias,
                        Tensor& running_mean, Tensor& running_var, bool training, double momentum,
                        double eps, Tensor& out, Tensor& save_mean, Tensor& save_invstd);
void batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                         const Tensor& save_mean, const Tensor& save_invstd, bool training,
                         Tensor& grad_x, Tensor& grad_weight, Tensor& grad_bias);
void softmax(const Tensor& x, bool log, Tensor& out);
void softmax_backward(const Tensor& grad_out, const Tensor& y, bool log, Tensor& grad_x);
void nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index, Tensor& out);
void nll_loss_backward(const Tensor& grad_out, const Tensor& target, int64_t ignore_index, Tensor& grad_logp);

}  // namespace nf::cpu::ref
