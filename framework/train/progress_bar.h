// ProgressBar: what a user watches during long work, on rank 0 only — done/total, a bar, the rate
// (images/s) and the ETA. Redrawn in place on a terminal; on a pipe or log file it prints a
// plain line every `log_interval_s` seconds instead, so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace fct::train {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, std::string unit, bool enabled,
              double log_interval_s = 30.0);
  ~ProgressBar();

  // `done` units of `total` are finished; `suffix` (e.g. "loss 0.53") is shown after the rate.
  void update(int64_t done, const std::string& suffix = "");
  void finish(const std::string& suffix = "");

  // "1h02m", "3m05s", "12s".
  static std::string format_duration(double seconds);
  // The line update() would draw (without the carriage return), for tests and logs.
  std::string render(int64_t done, const std::string& suffix) const;

 private:
  double elapsed_s() const;

  std::string label_;
  int64_t total_;
  std::string unit_;
  bool enabled_;
  bool is_terminal_;
  double log_interval_s_;
  double last_print_s_ = -1e9;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace fct::train
