#include "framework/core/preemption.h"

#include <csignal>

namespace fct {
namespace {

volatile std::sig_atomic_t preemption_flag = 0;

extern "C" void on_preemption_signal(int) {
  preemption_flag = 1;
}

}  // namespace

void install_preemption_handler() {
  struct sigaction action {};
  action.sa_handler = on_preemption_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and collectives in flight just go on
  sigaction(SIGUSR2, &action, nullptr);
}

bool preemption_requested() {
  return preemption_flag != 0;
}

void request_preemption() {
  preemption_flag = 1;
}

}  // namespace fct
