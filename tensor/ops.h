// nf::raw — the non-differentiable operations on tensors. Each one checks its
// arguments (throwing nf::Error with the op, shapes and dtypes), computes the
// result shape, allocates the result on the inputs' device and calls that
// device's Backend. Autograd's backward functions and the optimizers are
// written with these; users normally call the differentiable versions.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "tensor/backend.h"
#include "tensor/tensor.h"

namespace nf::raw {

// --- views: new metadata over the same storage, never a copy ---------------
Tensor view(const Tensor& x, Shape shape);  // one dim may be -1; throws if strides do not allow it
Tensor reshape(const Tensor& x, Shape shape);  // view when possible, else a contiguous copy
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor expand(const Tensor& x, const Shape& shape);  // broadcast: size-1 dims get stride 0
Tensor squeeze(const Tensor& x, int64_t dim);      // dim must have size 1
Tensor unsqueeze(const Tensor& x, int64_t dim);
// View of x[index] along dim 0 (drops that dim).
Tensor select(const Tensor& x, int64_t dim, int64_t index);

// --- copies and conversions ---------------------------------------------------
Tensor contiguous(const Tensor& x);  // x itself when already contiguous
Tensor clone(const Tensor& x);       // always a fresh contiguous copy
Tensor cast(const Tensor& x, DType dtype);
Tensor to_device(const Tensor& x, Device device);
Tensor cat(const std::vector<Tensor>& xs, int64_t dim);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim);

// --- in place (bump the storage version) --------------------------------------
void fill_(const Tensor& x, double value);
void copy_(const Tensor& dst, const Tensor& src);  // src broadcast to dst's shape; casts
void add_(const Tensor& dst, const Tensor& src, double alpha = 1.0);  // dst += alpha * src
void mul_(const Tensor& dst, double factor);

// --- elementwise ----------------------------------------------------------------
Tensor unary(UnaryOp op, const Tensor& x, double alpha = 0.0);
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);  // numpy broadcasting
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

inline Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
inline Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::sub, a, b); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mul, a, b); }
inline Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }
inline Tensor neg(const Tensor& x) { return unary(UnaryOp::neg, x); }
inline Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, x); }
inline Tensor log(const Tensor& x) { return unary(UnaryOp::log, x); }
inline Tensor sqrt(const Tensor& x) { return unary(UnaryOp::sqrt, x); }
inline Tensor add_scalar(const Tensor& x, double s) { return unary(UnaryOp::add_scalar, x, s); }
inline Tensor mul_scalar(const Tensor& x, double s) { return unary(UnaryOp::mul_scalar, x, s); }
inline Tensor pow_scalar(const Tensor& x, double p) { return unary(UnaryOp::pow_scalar, x, p); }

// --- reductions -------------------------------------------------------------------
// dims empty = all dims. keepdim keeps reduced dims as size 1.
Tensor reduce(ReduceOp op, const Tensor& x, std::vector<int64_t> dims, bool keepdim);
inline Tensor sum(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false) {
  return reduce(ReduceOp::sum, x, std::move(dims), keepdim);
}
inline Tensor mean(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false) {
  return reduce(ReduceOp::mean, x, std::move(dims), keepdim);
}
Tensor max(const Tensor& x, std::vector<int64_t> dims = {}, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);  // i64
// Sums `grad` (shape broadcast from `shape`) back down to `shape`: the adjoint of expand.
Tensor sum_to(const Tensor& grad, const Shape& shape);

// --- linear algebra ----------------------------------------------------------------
// numpy matmul semantics for rank >= 1: [..,M,K] x [..,K,N] with broadcast batch dims.
Tensor matmul(const Tensor& a, const Tensor& b);

// --- indexing (index: i64) ----------------------------------------------------------
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// out[.., index[i], ..] += src[.., i, ..] along dim (in place on out)
void index_add_(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
void scatter_add_(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src);

// --- fused neural-network ops -----------------------------------------------------------
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvParams& p);
Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                             const ConvParams& p);
Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                              const ConvParams& p);
// Output size of one spatial dim of a convolution or pooling window.
int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation);

std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const PoolParams& p);  // (out, indices)
Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Shape& x_shape);
Tensor avg_pool2d(const Tensor& x, const PoolParams& p);
Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape, const PoolParams& p);

struct BatchNormResult {
  Tensor out, save_mean, save_invstd;
};
BatchNormResult batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const Tensor& running_mean, const Tensor& running_var, bool training,
                           double momentum, double eps);
struct BatchNormGrads {
  Tensor grad_x, grad_weight, grad_bias;  // grad_weight/bias undefined when weight is
};
BatchNormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                   const Tensor& save_mean, const Tensor& save_invstd,
                                   bool training);

Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor softmax_backward(const Tensor& grad_out, const Tensor& y, int64_t dim, bool log);
Tensor nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index = -100);
Tensor nll_loss_backward(const Tensor& grad_out, const Tensor& logp, const Tensor& target,
                         int64_t ignore_index = -100);

}  // namespace nf::raw
