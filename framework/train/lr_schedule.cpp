#include "framework/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "framework/core/error.h"

namespace fct::train {

WarmupCosineSchedule::WarmupCosineSchedule(double peak_lr, int64_t warmup_steps,
                                           int64_t total_steps)
    : peak_lr_(peak_lr), warmup_steps_(warmup_steps), total_steps_(total_steps) {
  if (total_steps <= 0) throw Error("learning-rate schedule needs at least one step");
  if (warmup_steps < 0 || warmup_steps > total_steps)
    throw Error("warm-up steps (" + std::to_string(warmup_steps) + ") must lie in [0, " +
                std::to_string(total_steps) + "]");
}

double WarmupCosineSchedule::lr(int64_t step) const {
  step = std::clamp<int64_t>(step, 0, total_steps_ - 1);
  // (step + 1) so that the first step already moves the weights.
  if (step < warmup_steps_) return peak_lr_ * static_cast<double>(step + 1) / warmup_steps_;
  const int64_t decay_steps = total_steps_ - warmup_steps_;
  const double progress = static_cast<double>(step - warmup_steps_) / decay_steps;
  return 0.5 * peak_lr_ * (1.0 + std::cos(M_PI * progress));
}

}  // namespace fct::train
