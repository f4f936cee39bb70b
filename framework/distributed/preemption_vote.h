// All ranks decide together whether to stop for a preemption (framework/core/preemption.h): the
// signal may reach one rank first, but every rank must write its part and leave at the same step.
#pragma once

#include "framework/distributed/communicator.h"

namespace fct::distributed {

// Collective: true on every rank when any rank was asked to stop.
bool any_rank_preempted(Communicator& comm);

}  // namespace fct::distributed
