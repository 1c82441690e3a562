// Learning-rate schedulers. Each computes the learning rate in closed form from the number of
// step() calls so far (PyTorch's closed forms), and writes it into the optimizer on every
// step() (and once on construction). Call step() once per epoch or per batch, after
// optimizer.step(). Schedules compose by nesting: LinearWarmup(opt, 5, after) runs a linear
// warmup, then `after` shifted by the warmup length. Build the inner scheduler first: a
// scheduler takes the optimizer's current lr as its base lr.
#pragma once

#include <cstdint>
#include <memory>

#include "needle/optim/optimizer.h"

namespace needle::optim {

class LRScheduler {
 public:
  explicit LRScheduler(Optimizer& optimizer);
  virtual ~LRScheduler() = default;
  // Advances one epoch and sets the optimizer's lr to lr_at(last_epoch()).
  void step();
  // The learning rate after `epoch` step() calls.
  virtual double lr_at(int64_t epoch) const = 0;
  double get_lr() const { return lr_at(epoch_); }
  int64_t last_epoch() const { return epoch_; }
  double base_lr() const { return base_lr_; }

 protected:
  Optimizer& optimizer_;
  double base_lr_;
  int64_t epoch_ = 0;
};

// base_lr * gamma^floor(epoch / step_size).
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t epoch) const override;

  int64_t step_size;
  double gamma;
};

// eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / t_max)) / 2.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int64_t t_max, double eta_min = 0.0);
  double lr_at(int64_t epoch) const override;

  int64_t t_max;
  double eta_min;
};

// base_lr * (start_factor + (1 - start_factor) * epoch / warmup_steps) for the first
// warmup_steps epochs, then `after->lr_at(epoch - warmup_steps)` (or base_lr without `after`).
class LinearWarmup : public LRScheduler {
 public:
  LinearWarmup(Optimizer& optimizer, int64_t warmup_steps, double start_factor = 0.1,
               std::shared_ptr<LRScheduler> after = nullptr);
  double lr_at(int64_t epoch) const override;

  int64_t warmup_steps;
  double start_factor;
  std::shared_ptr<LRScheduler> after;
};

}  // namespace needle::optim
