// Learning-rate schedules: small objects that set an optimizer's lr from the
// epoch number. Call set_epoch(e) (or step() once per epoch) before each
// epoch; the base lr is the optimizer's lr at construction.
//   CosineAnnealingLR: lr(e) = eta_min + (base - eta_min) (1 + cos(pi e / t_max)) / 2
//                      (Loshchilov & Hutter 2017, no restarts; e is clamped to t_max)
//   StepLR:            lr(e) = base * gamma^floor(e / step_size)
#pragma once
#include <cstdint>

#include "nn/optim/optimizer.h"

namespace nf::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& opt) : opt_(opt), base_lr_(opt.lr()) {}
  virtual ~LRScheduler() = default;
  virtual double lr_at(int64_t epoch) const = 0;
  void set_epoch(int64_t epoch);  // sets the optimizer's lr to lr_at(epoch)
  void step() { set_epoch(epoch_ + 1); }  // the next epoch
  int64_t epoch() const { return epoch_; }
  double base_lr() const { return base_lr_; }

 protected:
  Optimizer& opt_;
  double base_lr_;
  int64_t epoch_ = 0;
};

class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& opt, int64_t t_max, double eta_min = 0.0);
  double lr_at(int64_t epoch) const override;

 private:
  int64_t t_max_;
  double eta_min_;
};

class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& opt, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t epoch) const override;

 private:
  int64_t step_size_;
  double gamma_;
};

}  // namespace nf::optim
