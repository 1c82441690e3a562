// StepLR, CosineAnnealingLR and LinearWarmup in closed form.
#include "needle/optim/lr_scheduler.h"

#include <cmath>
#include <numbers>

#include "needle/error.h"

namespace needle::optim {

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer), base_lr_(optimizer.lr()) {}

void LRScheduler::step() {
  ++epoch_;
  optimizer_.set_lr(lr_at(epoch_));
}

StepLR::StepLR(Optimizer& optimizer, int64_t step_size_, double gamma_)
    : LRScheduler(optimizer), step_size(step_size_), gamma(gamma_) {
  NEEDLE_CHECK(step_size > 0, "StepLR: step_size must be positive, got {}", step_size);
  optimizer_.set_lr(lr_at(0));
}

double StepLR::lr_at(int64_t epoch) const {
  return base_lr_ * std::pow(gamma, static_cast<double>(epoch / step_size));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, int64_t t_max_, double eta_min_)
    : LRScheduler(optimizer), t_max(t_max_), eta_min(eta_min_) {
  NEEDLE_CHECK(t_max > 0, "CosineAnnealingLR: t_max must be positive, got {}", t_max);
  optimizer_.set_lr(lr_at(0));
}

double CosineAnnealingLR::lr_at(int64_t epoch) const {
  const double phase = std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(t_max);
  return eta_min + (base_lr_ - eta_min) * (1.0 + std::cos(phase)) / 2.0;
}

LinearWarmup::LinearWarmup(Optimizer& optimizer, int64_t warmup_steps_, double start_factor_,
                           std::shared_ptr<LRScheduler> after_)
    : LRScheduler(optimizer),
      warmup_steps(warmup_steps_),
      start_factor(start_factor_),
      after(std::move(after_)) {
  NEEDLE_CHECK(warmup_steps >= 0, "LinearWarmup: warmup_steps must be >= 0, got {}", warmup_steps);
  NEEDLE_CHECK(start_factor >= 0.0 && start_factor <= 1.0,
               "LinearWarmup: start_factor must be in [0, 1], got {}", start_factor);
  optimizer_.set_lr(lr_at(0));
}

double LinearWarmup::lr_at(int64_t epoch) const {
  if (epoch < warmup_steps) {
    const double frac = static_cast<double>(epoch) / static_cast<double>(warmup_steps);
    return base_lr_ * (start_factor + (1.0 - start_factor) * frac);
  }
  return after ? after->lr_at(epoch - warmup_steps) : base_lr_;
}

}  // namespace needle::optim
