#include "nn/loss.h"

#include "autograd/functions.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::nn {

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& opts) {
  NF_CHECK(logits.dim() == 2, "cross_entropy: expected logits [N,C], got ", shape_str(logits.shape()));
  NF_CHECK(target.dtype() == DType::i64 && target.dim() == 1 && target.size(0) == logits.size(0),
           "cross_entropy: expected target i64 [", logits.size(0), "], got ", dtype_name(target.dtype()),
           " ", shape_str(target.shape()));
  const double s = opts.label_smoothing;
  NF_CHECK(s >= 0 && s <= 1, "cross_entropy: label_smoothing must be in [0, 1], got ", s);
  Tensor logp = log_softmax(logits, 1);
  Tensor nll = nll_loss(logp, target, opts.ignore_index);
  if (s == 0.0) return nll;

  // Smoothing term: -sum over kept rows and classes of logp / (C * kept rows).
  Tensor keep = raw::cast(raw::binary(BinaryOp::ne, target,
                                      scalar_tensor(double(opts.ignore_index), {DType::i64, target.device()})),
                          logits.dtype());  // [N], 1 for kept rows
  Tensor kept = raw::unary(UnaryOp::clamp_min, raw::sum(keep), 1.0);
  Tensor row_sums = sum(logp, {1});  // [N]
  Tensor smooth = -sum(row_sums * keep) / (kept * double(logits.size(1)));
  return nll * (1.0 - s) + smooth * s;
}

Tensor mse(const Tensor& pred, const Tensor& target) { return mse_loss(pred, target); }

}  // namespace nf::nn
