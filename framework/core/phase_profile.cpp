#include "framework/core/phase_profile.h"

#include <fmt/format.h>

namespace fct {

PhaseProfile::PhaseProfile() : last_(std::chrono::steady_clock::now()) {}

void PhaseProfile::lap(const std::string& phase) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  for (auto& entry : phases_) {
    if (entry.first == phase) {
      entry.second += seconds;
      return;
    }
  }
  phases_.emplace_back(phase, seconds);
}

void PhaseProfile::restart() {
  last_ = std::chrono::steady_clock::now();
}

double PhaseProfile::seconds(const std::string& phase) const {
  for (const auto& entry : phases_)
    if (entry.first == phase) return entry.second;
  return 0.0;
}

double PhaseProfile::total_seconds() const {
  double total = 0.0;
  for (const auto& entry : phases_) total += entry.second;
  return total;
}

std::string PhaseProfile::summary() const {
  const double total = total_seconds();
  std::string text;
  for (const auto& [phase, seconds] : phases_) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} {:.0f}% {:.2f} s", phase, total > 0 ? 100.0 * seconds / total : 0.0,
                        seconds);
  }
  return text;
}

}  // namespace fct
