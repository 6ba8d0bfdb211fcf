// Differentiable operations (namespace nf). Each records a graph node when
// grad mode is on and an input requires grad (see autograd/node.h); with no
// such input they cost the same as their nf::raw twin. Forward and backward
// of each op sit side by side in autograd/ops_*.cpp, next to its gradcheck
// case (autograd/registry.h).
//
// Broadcasting follows numpy; the gradient of a broadcast input is summed
// back to its shape. Dims may be negative (counted from the end).
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/backend.h"
#include "tensor/tensor.h"

namespace nf {

// --- arithmetic (ops_arith.cpp) ------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& base, const Tensor& exponent);  // base > 0 where exponent needs a gradient
Tensor neg(const Tensor& x);
Tensor add(const Tensor& x, double s);
Tensor sub(const Tensor& x, double s);
Tensor rsub(double s, const Tensor& x);  // s - x
Tensor mul(const Tensor& x, double s);
Tensor div(const Tensor& x, double s);
Tensor pow(const Tensor& x, double exponent);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
Tensor operator+(const Tensor& x, double s);
Tensor operator+(double s, const Tensor& x);
Tensor operator-(const Tensor& x, double s);
Tensor operator-(double s, const Tensor& x);
Tensor operator*(const Tensor& x, double s);
Tensor operator*(double s, const Tensor& x);
Tensor operator/(const Tensor& x, double s);
Tensor operator/(double s, const Tensor& x);  // s * x^-1

// --- elementwise math (ops_math.cpp) ---------------------------------------------
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);  // gradient 0 at x == 0
Tensor abs(const Tensor& x);   // gradient 0 at x == 0
// cond (bool/u8) ? a : b, all three broadcast; cond gets no gradient.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// --- reductions (ops_reduce.cpp); dims empty = all dims ------------------------------
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// The gradient is shared equally between tied maxima.
Tensor max(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);

// --- views and copies (ops_view.cpp) ---------------------------------------------------
Tensor view(const Tensor& x, const Shape& shape);
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor expand(const Tensor& x, const Shape& shape);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor contiguous(const Tensor& x);    // x itself when already contiguous
Tensor to(const Tensor& x, DType dtype);  // x itself when already of that dtype
Tensor to(const Tensor& x, Device device);  // x itself when already there

// --- joining and indexing (ops_index.cpp); index tensors are i64 ---------------------
Tensor cat(const std::vector<Tensor>& xs, int64_t dim);
Tensor stack(const std::vector<Tensor>& xs, int64_t dim);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);

// --- linear algebra (ops_matmul.cpp) ----------------------------------------------------
// numpy matmul: 1-D operands are promoted and the batch dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);

// --- neural-network ops (ops_conv.cpp, ops_pool.cpp, ops_batchnorm.cpp) ---------------------
// x [N,C,H,W], w [O,C/groups,KH,KW], bias [O] or undefined.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias = {}, const ConvParams& p = {});
Tensor max_pool2d(const Tensor& x, const PoolParams& p);
Tensor avg_pool2d(const Tensor& x, const PoolParams& p);  // padding excluded from the divisor
// x [N,C,*]; weight/bias [C] (both or neither); running_mean/var [C] or undefined.
// Training normalises with batch statistics and updates the running ones in
// place (momentum: PyTorch convention); eval uses the running statistics.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum = 0.1, double eps = 1e-5);

// --- softmax and losses (ops_loss.cpp) ------------------------------------------------------
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);
// logp [N,C], target i64 [N]: mean over non-ignored rows of -logp[i, target[i]].
Tensor nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index = -100);
// log_softmax over dim 1 + nll_loss.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index = -100);
// mean((pred - target)^2), same shapes.
Tensor mse_loss(const Tensor& pred, const Tensor& target);

}  // namespace nf
