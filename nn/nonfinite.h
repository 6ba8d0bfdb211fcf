// NaN/Inf policy of a training loop (nasforge train --on-nonfinite, the
// multi-trial search's trial protocol, DARTS).
//
// A step is non-finite when its loss is NaN/Inf or, with a finite loss, when
// its gradients are (checked before the optimizer sees them). Policy:
//   fail: the run stops at the first non-finite step, with the reason.
//   skip: the step is dropped: the gradients are discarded and the caller does
//         not call the optimizer, so parameters, momentum / Adam buffers and the
//         optimizer's step count stay as they were. A run whose non-finite steps
//         keep coming has diverged: after max_consecutive_skips skipped steps in
//         a row, the next non-finite step fails the run anyway.
//
// Use in a loop (the guard never calls the optimizer itself):
//   nn::NonFiniteGuard guard({.policy = nn::OnNonFinite::skip});
//   opt.zero_grad();
//   Tensor loss = ...;  const double l = loss.item();
//   if (guard.check_loss(l) != Verdict::step) { fail or skip on it }   // optional: saves a backward
//   loss.backward();                                                    // (+ gradient averaging)
//   switch (guard.check_step(l, params, grad_clip)) { step: opt.step(); skip: continue; fail: NF_FAIL(guard.reason()) }
// A skipped step's forward pass has already moved the model's buffers
// (BatchNorm running statistics; to NaN when its input was NaN): under skip,
// keep a BufferSnapshot, save() it before each forward and restore() it when
// the step is skipped.
// check_step (not check_loss) is what marks a step as good and resets the
// consecutive count; a step that check_loss already refused must not also go
// through check_step (it would be counted twice).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nn/module.h"
#include "tensor/tensor.h"

namespace nf::nn {

enum class OnNonFinite { fail, skip };

// "fail" or "skip"; anything else throws nf::Error naming `what` (the flag or
// field, e.g. "nasforge train: --on-nonfinite") and the text given.
OnNonFinite parse_on_nonfinite(const std::string& text, const std::string& what);
const char* on_nonfinite_name(OnNonFinite policy);  // "fail" / "skip"

struct NonFiniteOptions {
  OnNonFinite policy = OnNonFinite::fail;
  int64_t max_consecutive_skips = 10;  // >= 1; only used under skip
};

class NonFiniteGuard {
 public:
  enum class Verdict { step, skip, fail };

  // Throws nf::Error when max_consecutive_skips < 1.
  explicit NonFiniteGuard(NonFiniteOptions options = {});

  // Before backward: `step` when `loss` is finite (counts nothing then).
  // Otherwise skip or fail per the policy, with reason() set.
  [[nodiscard]] Verdict check_loss(double loss);

  // After backward (and any gradient averaging), before the optimizer step:
  // checks `loss` and the gradients of `params` (those without one are
  // ignored). With max_norm > 0 the gradients are first clipped as
  // optim::clip_grad_norm_(params, max_norm) does, and its total norm is the
  // check (a norm beyond float range, > ~1.8e19, counts as non-finite);
  // with max_norm = 0 a cheaper check sums each gradient (one reduction per
  // tensor, no temporary). On skip the parameters' gradients are dropped.
  [[nodiscard]] Verdict check_step(double loss, const std::vector<Tensor>& params, double max_norm = 0);

  // Why the last verdict was skip or fail, e.g. "loss became nan",
  // "gradients became non-finite (total norm inf) with a finite loss 2.3026",
  // "training diverged: 11 non-finite steps in a row (at most 10 may be
  // skipped in a row; 14 skipped in all); the last: loss became nan".
  const std::string& reason() const { return reason_; }
  int64_t skipped() const { return skipped_; }                   // steps skipped so far
  int64_t consecutive_skipped() const { return consecutive_; }  // since the last good step
  // Total L2 norm of the last check_step's gradients before clipping, when it
  // clipped (max_norm > 0); NaN otherwise.
  double grad_norm() const { return grad_norm_; }
  const NonFiniteOptions& options() const { return options_; }

 private:
  // A non-finite step: skip (counted) or fail, per policy and the consecutive limit.
  Verdict refuse(std::string problem);

  NonFiniteOptions options_;
  int64_t skipped_ = 0, consecutive_ = 0;
  double grad_norm_;
  std::string reason_;
};

// A copy of a module's buffers (running statistics, counters), kept aside
// before a step so that a skipped step leaves the model as it was. The copies
// are allocated once; save() and restore() copy every buffer (per-channel
// vectors: small next to a training step). The module must keep its buffers
// (same tensors: no to() in between).
class BufferSnapshot {
 public:
  explicit BufferSnapshot(const Module& module);
  void save();     // before the step's forward
  void restore();  // after the step was skipped
 private:
  std::vector<Tensor> live_, saved_;
};

// True when every gradient of `params` is finite (no NaN or Inf), summing each
// gradient once (a sum that overflows float also counts as non-finite).
bool gradients_finite(const std::vector<Tensor>& params);

}  // namespace nf::nn
