// PhaseProfile: where a loop's wall time goes, by named phase. A loop calls lap("load") after
// loading, lap("forward") after computing, ...: each lap adds the time since the previous lap to
// its phase, so the phases add up to the time measured and nothing is counted twice. The embedding
// paths (`fct embed`, the feature cache) log it, and the benchmarks print it, because the question
// "what is slow" has a different answer on every machine.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace fct {

class PhaseProfile {
 public:
  PhaseProfile();

  // Adds the wall time since the previous lap (or construction, or restart) to `phase`.
  void lap(const std::string& phase);
  // Forgets the time since the previous lap (time that belongs to no phase).
  void restart();

  // Phases in the order of their first lap, with their seconds.
  const std::vector<std::pair<std::string, double>>& phases() const { return phases_; }
  double seconds(const std::string& phase) const;  // 0 for a phase never lapped
  double total_seconds() const;

  // "load 12% 5.10 s, forward 70% 29.8 s, ..." (shares of the total).
  std::string summary() const;

 private:
  std::chrono::steady_clock::time_point last_;
  std::vector<std::pair<std::string, double>> phases_;
};

}  // namespace fct
