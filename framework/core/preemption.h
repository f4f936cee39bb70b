// Preemption: SLURM sends SIGUSR2 some minutes before a job's time limit (sbatch
// --signal=B:USR2@N, forwarded by the batch script). The handler only raises a flag; the trainer
// reads it at a step boundary, all ranks agree, rank 0 writes a checkpoint, and fct leaves with
// kPreemptedExit so that the batch script requeues the job, which resumes from that checkpoint.
// The flag is the one process-wide state here besides the MPI runtime: a signal has nowhere else
// to go.
#pragma once

#include <string>
#include <utility>

#include "framework/core/error.h"

namespace fct {

// fct's exit status after a checkpoint on preemption (EX_TEMPFAIL: try again).
constexpr int kPreemptedExit = 75;

void install_preemption_handler();
bool preemption_requested();
// What the signal does, for fault injection (debug.fail_mode: preempt) and tests.
void request_preemption();

// Thrown once the checkpoint is written; caught at the command's edge (exit kPreemptedExit).
// `place` says where the run stopped (which checkpoint, which step), the same text whenever it
// stops at the same place: the batch script compares it with the last requeue's to tell a job
// that moves on from one that is stuck.
class Preempted : public Error {
 public:
  Preempted(const std::string& message, std::string place)
      : Error(message), place_(std::move(place)) {}
  const std::string& place() const { return place_; }

 private:
  std::string place_;
};

// The environment variable naming the file where fct records a Preempted's place (set by the
// batch scripts of `fct submit`).
constexpr const char* kPreemptionRecordVariable = "FCT_PREEMPTION_RECORD";

}  // namespace fct
