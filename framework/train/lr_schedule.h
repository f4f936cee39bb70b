// Learning-rate schedule of the FCT recipes: linear warm-up from ~0 to the peak, then cosine to 0.
#pragma once

#include <cstdint>

namespace fct::train {

class WarmupCosineSchedule {
 public:
  WarmupCosineSchedule(double peak_lr, int64_t warmup_steps, int64_t total_steps);
  // Learning rate for the optimiser step with 0-based index `step`.
  double lr(int64_t step) const;

 private:
  double peak_lr_;
  int64_t warmup_steps_;
  int64_t total_steps_;
};

}  // namespace fct::train
