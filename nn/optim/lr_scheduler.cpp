#include "nn/optim/lr_scheduler.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace nf::optim {

void LRScheduler::set_epoch(int64_t epoch) {
  NF_CHECK(epoch >= 0, "LRScheduler: epoch must be non-negative, got ", epoch);
  epoch_ = epoch;
  opt_.set_lr(lr_at(epoch));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& opt, int64_t t_max, double eta_min)
    : LRScheduler(opt), t_max_(t_max), eta_min_(eta_min) {
  NF_CHECK(t_max > 0, "CosineAnnealingLR: t_max must be positive, got ", t_max);
  NF_CHECK(eta_min >= 0, "CosineAnnealingLR: eta_min must be non-negative, got ", eta_min);
}

double CosineAnnealingLR::lr_at(int64_t epoch) const {
  const double e = double(std::clamp<int64_t>(epoch, 0, t_max_));
  return eta_min_ + (base_lr_ - eta_min_) * (1.0 + std::cos(std::numbers::pi * e / double(t_max_))) / 2.0;
}

StepLR::StepLR(Optimizer& opt, int64_t step_size, double gamma)
    : LRScheduler(opt), step_size_(step_size), gamma_(gamma) {
  NF_CHECK(step_size > 0, "StepLR: step_size must be positive, got ", step_size);
  NF_CHECK(gamma > 0, "StepLR: gamma must be positive, got ", gamma);
}

double StepLR::lr_at(int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, double(std::max<int64_t>(epoch, 0) / step_size_));
}

}  // namespace nf::optim
