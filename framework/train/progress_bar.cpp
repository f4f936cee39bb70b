#include "framework/train/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace fct::train {

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit, bool enabled,
                         double log_interval_s)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      unit_(std::move(unit)),
      enabled_(enabled),
      is_terminal_(::isatty(STDERR_FILENO) != 0),
      log_interval_s_(log_interval_s),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && !finished_ && is_terminal_) std::fputc('\n', stderr);
}

double ProgressBar::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%lldh%02lldm", static_cast<long long>(s / 3600),
                  static_cast<long long>((s % 3600) / 60));
  } else if (s >= 60) {
    std::snprintf(buffer, sizeof buffer, "%lldm%02llds", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  } else {
    std::snprintf(buffer, sizeof buffer, "%llds", static_cast<long long>(s));
  }
  return buffer;
}

std::string ProgressBar::render(int64_t done, const std::string& suffix) const {
  constexpr int kWidth = 24;
  const double fraction = std::clamp(static_cast<double>(done) / total_, 0.0, 1.0);
  const int filled = static_cast<int>(fraction * kWidth);
  const double elapsed = elapsed_s();
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  const double eta = rate > 0 ? (total_ - done) / rate : NAN;
  char head[160];
  std::snprintf(head, sizeof head, "%s [%s%s] %3.0f%% %lld/%lld %.0f %s/s ETA %s", label_.c_str(),
                std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(),
                100.0 * fraction, static_cast<long long>(done), static_cast<long long>(total_),
                rate, unit_.c_str(), format_duration(eta).c_str());
  return suffix.empty() ? std::string(head) : std::string(head) + "  " + suffix;
}

void ProgressBar::update(int64_t done, const std::string& suffix) {
  if (!enabled_) return;
  const double now = elapsed_s();
  if (is_terminal_) {
    if (now - last_print_s_ < 0.2 && done < total_) return;  // redraw at most 5 times a second
    std::fprintf(stderr, "\r\033[K%s", render(done, suffix).c_str());
    std::fflush(stderr);
  } else {
    if (now - last_print_s_ < log_interval_s_ && done < total_) return;
    std::fprintf(stderr, "%s\n", render(done, suffix).c_str());
  }
  last_print_s_ = now;
}

void ProgressBar::finish(const std::string& suffix) {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (is_terminal_) {
    std::fprintf(stderr, "\r\033[K%s\n", render(total_, suffix).c_str());
  } else {
    std::fprintf(stderr, "%s\n", render(total_, suffix).c_str());
  }
  std::fflush(stderr);
}

}  // namespace fct::train
