#include "nn/nonfinite.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "autograd/grad_mode.h"
#include "nn/optim/optimizer.h"
#include "tensor/error.h"
#include "tensor/ops.h"

namespace nf::nn {

namespace {

// "nan", "inf", "-inf" or the value with 5 significant digits (glibc would print "-nan").
std::string number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.5g", v);
  return buf;
}

}  // namespace

OnNonFinite parse_on_nonfinite(const std::string& text, const std::string& what) {
  if (text == "fail") return OnNonFinite::fail;
  if (text == "skip") return OnNonFinite::skip;
  NF_FAIL(what, " must be fail or skip, got '", text, "'");
}

const char* on_nonfinite_name(OnNonFinite policy) { return policy == OnNonFinite::skip ? "skip" : "fail"; }

bool gradients_finite(const std::vector<Tensor>& params) {
  autograd::NoGradGuard no_grad;
  // The per-tensor sums are added up on the gradients' device, so a CUDA run
  // pays one device-to-host read per step, not one per parameter.
  Tensor total;
  double elsewhere = 0;  // sums of gradients on another device than the first one
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined() || g.numel() == 0) continue;
    Tensor s = raw::sum(g);  // NaN or Inf when any element is (Inf - Inf = NaN)
    if (!total.defined()) total = s;
    else if (s.device() == total.device()) raw::add_(total, s);
    else elsewhere += s.item();
  }
  return std::isfinite(elsewhere) && (!total.defined() || std::isfinite(total.item()));
}

BufferSnapshot::BufferSnapshot(const Module& module) : live_(module.buffers()) {
  autograd::NoGradGuard no_grad;
  for (const Tensor& b : live_) saved_.push_back(raw::clone(b));
}

void BufferSnapshot::save() {
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < live_.size(); ++i) raw::copy_(saved_[i], live_[i]);
}

void BufferSnapshot::restore() {
  autograd::NoGradGuard no_grad;
  for (size_t i = 0; i < live_.size(); ++i) raw::copy_(live_[i], saved_[i]);
}

NonFiniteGuard::NonFiniteGuard(NonFiniteOptions options)
    : options_(options), grad_norm_(std::numeric_limits<double>::quiet_NaN()) {
  NF_CHECK(options_.max_consecutive_skips >= 1,
           "NonFiniteGuard: max_consecutive_skips must be at least 1, got ", options_.max_consecutive_skips);
}

NonFiniteGuard::Verdict NonFiniteGuard::refuse(std::string problem) {
  if (options_.policy == OnNonFinite::fail) {
    reason_ = std::move(problem);
    return Verdict::fail;
  }
  if (consecutive_ >= options_.max_consecutive_skips) {
    reason_ = "training diverged: " + std::to_string(consecutive_ + 1) + " non-finite steps in a row (at most " +
              std::to_string(options_.max_consecutive_skips) + " may be skipped in a row; " +
              std::to_string(skipped_) + " skipped in all); the last: " + problem;
    return Verdict::fail;
  }
  ++consecutive_;
  ++skipped_;
  reason_ = std::move(problem);
  return Verdict::skip;
}

NonFiniteGuard::Verdict NonFiniteGuard::check_loss(double loss) {
  if (std::isfinite(loss)) return Verdict::step;
  return refuse("loss became " + number(loss));
}

NonFiniteGuard::Verdict NonFiniteGuard::check_step(double loss, const std::vector<Tensor>& params, double max_norm) {
  NF_CHECK(max_norm >= 0, "NonFiniteGuard::check_step: max_norm must be >= 0, got ", max_norm);
  grad_norm_ = std::numeric_limits<double>::quiet_NaN();
  const auto drop_gradients = [&] {
    for (const Tensor& p : params) p.zero_grad_();
  };
  if (!std::isfinite(loss)) {
    const Verdict v = refuse("loss became " + number(loss));
    if (v == Verdict::skip) drop_gradients();
    return v;
  }
  bool finite;
  std::string norm_text;
  if (max_norm > 0) {
    grad_norm_ = optim::clip_grad_norm_(params, max_norm);  // clipped in place; harmless if we skip
    finite = std::isfinite(grad_norm_);
    norm_text = " (total norm " + number(grad_norm_) + ")";
  } else {
    finite = gradients_finite(params);
  }
  if (!finite) {
    const Verdict v = refuse("gradients became non-finite" + norm_text + " with a finite loss " + number(loss));
    if (v == Verdict::skip) drop_gradients();
    return v;
  }
  consecutive_ = 0;
  reason_.clear();
  return Verdict::step;
}

}  // namespace nf::nn
