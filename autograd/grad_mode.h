// Grad mode: a thread-local switch. While it is off, differentiable ops run
// their forward only and record no graph (evaluation, candidate scoring,
// parameter updates).
//
//   { nf::autograd::NoGradGuard guard;  // off until the end of the scope
//     ... }
#pragma once

namespace nf::autograd {

class GradMode {
 public:
  static bool is_enabled();
  static void set_enabled(bool on);
};

// Turns grad mode off for its lifetime and restores the previous state.
class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace nf::autograd
