// Front end of the fused neural-network kernels: argument checks, output
// shapes, contiguity; the loops are in the FusedBackend.
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/ops_util.h"

namespace nf::raw {

int64_t conv_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

namespace {

void check_conv_params(const ConvParams& p) {
  NF_CHECK(p.stride_h > 0 && p.stride_w > 0, "conv2d: stride must be positive, got (", p.stride_h,
           ",", p.stride_w, ")");
  NF_CHECK(p.pad_h >= 0 && p.pad_w >= 0, "conv2d: padding must be non-negative, got (", p.pad_h,
           ",", p.pad_w, ")");
  NF_CHECK(p.dilation_h > 0 && p.dilation_w > 0, "conv2d: dilation must be positive, got (",
           p.dilation_h, ",", p.dilation_w, ")");
  NF_CHECK(p.groups > 0, "conv2d: groups must be positive, got ", p.groups);
}

// Checks x [N,C,H,W] against w [O,C/g,KH,KW] and returns the output shape.
Shape conv_output_shape(const Shape& x, const Shape& w, const ConvParams& p) {
  check_conv_params(p);
  NF_CHECK(x.size() == 4, "conv2d: input must be [N,C,H,W], got ", shape_str(x));
  NF_CHECK(w.size() == 4, "conv2d: weight must be [O,C/groups,KH,KW], got ", shape_str(w));
  NF_CHECK(x[1] == w[1] * p.groups && w[0] % p.groups == 0, "conv2d: input ", shape_str(x),
           " and weight ", shape_str(w), " do not match with groups=", p.groups);
  int64_t oh = conv_out_size(x[2], w[2], p.stride_h, p.pad_h, p.dilation_h);
  int64_t ow = conv_out_size(x[3], w[3], p.stride_w, p.pad_w, p.dilation_w);
  NF_CHECK(oh > 0 && ow > 0, "conv2d: input ", shape_str(x), " is too small for weight ",
           shape_str(w), " (output would be ", oh, "x", ow, ")");
  return {x[0], w[0], oh, ow};
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvParams& p) {
  Backend& be = detail::common_backend("conv2d", {&x, &w, &bias});
  detail::check_floating("conv2d", x);
  detail::check_same_dtype("conv2d", x, w);
  Shape out_shape = conv_output_shape(x.shape(), w.shape(), p);
  if (bias.defined()) {
    detail::check_same_dtype("conv2d", x, bias);
    NF_CHECK(bias.dim() == 1 && bias.size(0) == w.size(0), "conv2d: bias ", shape_str(bias.shape()),
             " does not match ", w.size(0), " output channels");
  }
  Tensor out = Tensor::empty(out_shape, {x.dtype(), x.device()});
  detail::fused_backend(be, "conv2d")
      .conv2d_forward(contiguous(x), contiguous(w), bias.defined() ? contiguous(bias) : bias, p, out);
  return out;
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                             const ConvParams& p) {
  Backend& be = detail::common_backend("conv2d_backward_input", {&grad_out, &w});
  detail::check_same_dtype("conv2d_backward_input", grad_out, w);
  Shape out_shape = conv_output_shape(x_shape, w.shape(), p);
  NF_CHECK(grad_out.shape() == out_shape, "conv2d_backward_input: grad_out ",
           shape_str(grad_out.shape()), " should be ", shape_str(out_shape));
  Tensor grad_x = Tensor::empty(x_shape, {w.dtype(), w.device()});
  detail::fused_backend(be, "conv2d_backward_input")
      .conv2d_backward_input(contiguous(grad_out), contiguous(w), p, grad_x);
  return grad_x;
}

Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                              const ConvParams& p) {
  Backend& be = detail::common_backend("conv2d_backward_weight", {&grad_out, &x});
  detail::check_same_dtype("conv2d_backward_weight", grad_out, x);
  Shape out_shape = conv_output_shape(x.shape(), w_shape, p);
  NF_CHECK(grad_out.shape() == out_shape, "conv2d_backward_weight: grad_out ",
           shape_str(grad_out.shape()), " should be ", shape_str(out_shape));
  Tensor grad_w = Tensor::empty(w_shape, {x.dtype(), x.device()});
  detail::fused_backend(be, "conv2d_backward_weight")
      .conv2d_backward_weight(contiguous(grad_out), contiguous(x), p, grad_w);
  return grad_w;
}

namespace {
Shape pool_output_shape(const Shape& x, DType dtype, const PoolParams& p, const char* op) {
  NF_CHECK(is_floating(dtype), op, ": expected a floating tensor (f32 or f64), got ", dtype_name(dtype));
  NF_CHECK(x.size() == 4, op, ": input must be [N,C,H,W], got ", shape_str(x));
  NF_CHECK(p.kernel_h > 0 && p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0, op,
           ": kernel and stride must be positive");
  NF_CHECK(p.pad_h >= 0 && p.pad_w >= 0 && 2 * p.pad_h <= p.kernel_h && 2 * p.pad_w <= p.kernel_w,
           op, ": padding (", p.pad_h, ",", p.pad_w, ") must be at most half the kernel (",
           p.kernel_h, ",", p.kernel_w, ")");
  int64_t oh = conv_out_size(x[2], p.kernel_h, p.stride_h, p.pad_h, 1);
  int64_t ow = conv_out_size(x[3], p.kernel_w, p.stride_w, p.pad_w, 1);
  NF_CHECK(oh > 0 && ow > 0, op, ": input ", shape_str(x), " is too small for a ", p.kernel_h,
           "x", p.kernel_w, " window");
  return {x[0], x[1], oh, ow};
}
}  // namespace

std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const PoolParams& p) {
  Shape shape = pool_output_shape(x.shape(), x.dtype(), p, "max_pool2d");
  Tensor out = Tensor::empty(shape, {x.dtype(), x.device()});
  Tensor indices = Tensor::empty(shape, {DType::i64, x.device()});
  detail::fused_backend(backend_for(x.device()), "max_pool2d")
      .max_pool2d_forward(contiguous(x), p, out, indices);
  return {out, indices};
}

Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Shape& x_shape) {
  Backend& be = detail::common_backend("max_pool2d_backward", {&grad_out, &indices});
  NF_CHECK(grad_out.shape() == indices.shape(), "max_pool2d_backward: grad_out ",
           shape_str(grad_out.shape()), " and indices ", shape_str(indices.shape()), " differ");
  Tensor grad_x = Tensor::empty(x_shape, {grad_out.dtype(), grad_out.device()});
  detail::fused_backend(be, "max_pool2d_backward")
      .max_pool2d_backward(contiguous(grad_out), contiguous(indices), grad_x);
  return grad_x;
}

Tensor avg_pool2d(const Tensor& x, const PoolParams& p) {
  Shape shape = pool_output_shape(x.shape(), x.dtype(), p, "avg_pool2d");
  Tensor out = Tensor::empty(shape, {x.dtype(), x.device()});
  detail::fused_backend(backend_for(x.device()), "avg_pool2d").avg_pool2d_forward(contiguous(x), p, out);
  return out;
}

Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape, const PoolParams& p) {
  NF_CHECK(grad_out.shape() == pool_output_shape(x_shape, grad_out.dtype(), p, "avg_pool2d_backward"),
           "avg_pool2d_backward: grad_out ", shape_str(grad_out.shape()),
           " does not match input ", shape_str(x_shape));
  Tensor grad_x = Tensor::empty(x_shape, {grad_out.dtype(), grad_out.device()});
  detail::fused_backend(backend_for(grad_out.device()), "avg_pool2d_backward")
      .avg_pool2d_backward(contiguous(grad_out), p, grad_x);
  return grad_x;
}

namespace {
void check_channel_vector(const Tensor& t, int64_t channels, const Tensor& x, const char* what) {
  if (!t.defined()) return;
  NF_CHECK(t.dim() == 1 && t.size(0) == channels, "batch_norm: ", what, " ", shape_str(t.shape()),
           " does not match ", channels, " channels of input ", shape_str(x.shape()));
  detail::check_same_dtype("batch_norm", x, t);
  NF_CHECK(t.is_contiguous(), "batch_norm: ", what, " must be contiguous");
}
}  // namespace

BatchNormResult batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                           const Tensor& running_mean, const Tensor& running_var, bool training,
                           double momentum, double eps) {
  Backend& be = detail::common_backend("batch_norm", {&x, &weight, &bias, &running_mean, &running_var});
  detail::check_floating("batch_norm", x);
  NF_CHECK(x.dim() >= 2, "batch_norm: input must be [N,C,...], got ", shape_str(x.shape()));
  int64_t c = x.size(1);
  check_channel_vector(weight, c, x, "weight");
  check_channel_vector(bias, c, x, "bias");
  check_channel_vector(running_mean, c, x, "running_mean");
  check_channel_vector(running_var, c, x, "running_var");
  NF_CHECK(running_mean.defined() == running_var.defined(),
           "batch_norm: running_mean and running_var must be given together");
  NF_CHECK(training || running_mean.defined(), "batch_norm: eval mode needs running statistics");
  NF_CHECK(!training || x.numel() / c > 1, "batch_norm: expected more than 1 value per channel when training, got input ",
           shape_str(x.shape()));
  BatchNormResult r;
  r.out = Tensor::empty(x.shape(), {x.dtype(), x.device()});
  r.save_mean = Tensor::empty({c}, {x.dtype(), x.device()});
  r.save_invstd = Tensor::empty({c}, {x.dtype(), x.device()});
  Tensor rm = running_mean, rv = running_var;
  detail::fused_backend(be, "batch_norm")
      .batch_norm_forward(contiguous(x), weight, bias, rm, rv, training, momentum, eps, r.out,
                          r.save_mean, r.save_invstd);
  if (training && running_mean.defined()) {
    running_mean.bump_version();
    running_var.bump_version();
  }
  return r;
}

BatchNormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                                   const Tensor& save_mean, const Tensor& save_invstd,
                                   bool training) {
  Backend& be = detail::common_backend("batch_norm_backward", {&grad_out, &x, &weight});
  NF_CHECK(grad_out.shape() == x.shape(), "batch_norm_backward: grad_out ",
           shape_str(grad_out.shape()), " and input ", shape_str(x.shape()), " differ");
  detail::check_same_dtype("batch_norm_backward", grad_out, x);
  BatchNormGrads g;
  g.grad_x = Tensor::empty(x.shape(), {x.dtype(), x.device()});
  if (weight.defined()) {
    g.grad_weight = Tensor::empty({x.size(1)}, {x.dtype(), x.device()});
    g.grad_bias = Tensor::empty({x.size(1)}, {x.dtype(), x.device()});
  }
  detail::fused_backend(be, "batch_norm_backward")
      .batch_norm_backward(contiguous(grad_out), contiguous(x), weight, save_mean, save_invstd,
                           training, g.grad_x, g.grad_weight, g.grad_bias);
  return g;
}

namespace {
// Runs a last-dim row kernel on `x` along `dim`: moves dim last, makes rows
// contiguous [R, C], and moves the result back.
template <typename Fn>
Tensor along_last_dim(const Tensor& x, int64_t dim, const char* op, Fn&& kernel) {
  int64_t d = normalize_dim(dim, std::max<int64_t>(x.dim(), 1), op);
  Tensor moved = x.dim() == 0 ? reshape(x, {1}) : transpose(x, d, -1);
  Tensor rows = contiguous(moved);
  int64_t cols = rows.dim() ? rows.size(-1) : 1;
  Tensor out2d = kernel(view(rows, {rows.numel() / std::max<int64_t>(cols, 1), cols}));
  Tensor out = view(out2d, rows.shape());
  return x.dim() == 0 ? reshape(out, {}) : transpose(out, d, -1);
}
}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  detail::check_floating("softmax", x);
  FusedBackend& f = detail::fused_backend(backend_for(x.device()), "softmax");
  return along_last_dim(x, dim, "softmax", [&](const Tensor& rows) {
    Tensor out = empty_like(rows);
    f.softmax(rows, false, out);
    return out;
  });
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  detail::check_floating("log_softmax", x);
  FusedBackend& f = detail::fused_backend(backend_for(x.device()), "log_softmax");
  return along_last_dim(x, dim, "log_softmax", [&](const Tensor& rows) {
    Tensor out = empty_like(rows);
    f.softmax(rows, true, out);
    return out;
  });
}

Tensor softmax_backward(const Tensor& grad_out, const Tensor& y, int64_t dim, bool log) {
  Backend& be = detail::common_backend("softmax_backward", {&grad_out, &y});
  NF_CHECK(grad_out.shape() == y.shape(), "softmax_backward: grad_out ", shape_str(grad_out.shape()),
           " and output ", shape_str(y.shape()), " differ");
  FusedBackend& f = detail::fused_backend(be, "softmax_backward");
  int64_t d = normalize_dim(dim, std::max<int64_t>(y.dim(), 1), "softmax_backward");
  Tensor y_rows = y.dim() == 0 ? reshape(y, {1}) : contiguous(transpose(y, d, -1));
  int64_t cols = y_rows.size(-1);
  Tensor y2 = view(y_rows, {y_rows.numel() / std::max<int64_t>(cols, 1), cols});
  return along_last_dim(grad_out, dim, "softmax_backward", [&](const Tensor& g_rows) {
    Tensor gx = empty_like(g_rows);
    f.softmax_backward(g_rows, y2, log, gx);
    return gx;
  });
}

namespace {
void check_nll(const Tensor& logp, const Tensor& target, const char* op) {
  detail::check_floating(op, logp);
  NF_CHECK(logp.dim() == 2, op, ": log-probabilities must be [N,C], got ", shape_str(logp.shape()));
  NF_CHECK(target.dtype() == DType::i64, op, ": target must be i64, got ", dtype_name(target.dtype()));
  NF_CHECK(target.dim() == 1 && target.size(0) == logp.size(0), op, ": target ",
           shape_str(target.shape()), " does not match input ", shape_str(logp.shape()));
}
}  // namespace

Tensor nll_loss(const Tensor& logp, const Tensor& target, int64_t ignore_index) {
  Backend& be = detail::common_backend("nll_loss", {&logp, &target});
  check_nll(logp, target, "nll_loss");
  Tensor out = Tensor::empty({}, {logp.dtype(), logp.device()});
  detail::fused_backend(be, "nll_loss").nll_loss(contiguous(logp), contiguous(target), ignore_index, out);
  return out;
}

Tensor nll_loss_backward(const Tensor& grad_out, const Tensor& logp, const Tensor& target,
                         int64_t ignore_index) {
  Backend& be = detail::common_backend("nll_loss_backward", {&grad_out, &logp, &target});
  check_nll(logp, target, "nll_loss_backward");
  NF_CHECK(grad_out.numel() == 1, "nll_loss_backward: grad_out must be a scalar, got ",
           shape_str(grad_out.shape()));
  Tensor grad = Tensor::empty(logp.shape(), {logp.dtype(), logp.device()});
  detail::fused_backend(be, "nll_loss_backward")
      .nll_loss_backward(contiguous(grad_out), contiguous(target), ignore_index, grad);
  return grad;
}

}  // namespace nf::raw
