// Preemption: SLURM sends SIGUSR2 some minutes before a job's time limit (sbatch
// --signal=B:USR2@N, forwarded by the batch script). The handler only raises a flag; the trainer
// reads it at a step boundary, all ranks agree, rank 0 writes a checkpoint, and fct leaves with
// kPreemptedExit so that the batch script requeues the job, which resumes from that checkpoint.
// The flag is the one process-wide state here besides the MPI runtime: a signal has nowhere else
// to go.
#pragma once

#include "framework/core/error.h"

namespace fct {

// fct's exit status after a checkpoint on preemption (EX_TEMPFAIL: try again).
constexpr int kPreemptedExit = 75;

void install_preemption_handler();
bool preemption_requested();
// What the signal does, for fault injection (debug.fail_mode: preempt) and tests.
void request_preemption();

// Thrown once the checkpoint is written; caught at the command's edge (exit kPreemptedExit).
class Preempted : public Error {
 public:
  explicit Preempted(const std::string& message) : Error(message) {}
};

}  // namespace fct
