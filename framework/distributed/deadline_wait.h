// Waiting for a collective with a deadline: the one polling loop shared by the communicators, so
// that no collective can block a rank forever and a waiting rank does not burn a whole core.
#pragma once

#include <chrono>
#include <thread>

namespace fct::distributed {

using SteadyClock = std::chrono::steady_clock;

inline SteadyClock::time_point deadline_after(double timeout_s) {
  return SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                  std::chrono::duration<double>(timeout_s));
}

// Calls `done()` until it returns true (-> true) or `deadline` passes (-> false). Spins first,
// because small collectives finish within microseconds, then sleeps ~50 us between polls: Open MPI
// has no progress thread, so the polls themselves are what drives the transfer forward.
template <class Done>
bool poll_until(Done&& done, SteadyClock::time_point deadline) {
  constexpr int kSpinPolls = 2000;
  constexpr auto kSleep = std::chrono::microseconds(50);
  for (int polls = 0;; ++polls) {
    if (done()) return true;
    if (SteadyClock::now() >= deadline) return done();
    if (polls >= kSpinPolls) std::this_thread::sleep_for(kSleep);
  }
}

}  // namespace fct::distributed
