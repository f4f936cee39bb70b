// Fails every rank when one fails, at a point where all of them wait anyway. Needed around work
// that sits between collectives which cannot be unwound on one rank alone (a parallel HDF5 file:
// its close is collective): each rank catches its own error, then all agree here and all throw.
#pragma once

#include <exception>
#include <string>

#include "framework/distributed/communicator.h"

namespace fct::distributed {

// Collective. Rethrows `failure` on the rank that has one; on the others throws DistributedError
// naming `what` when any rank failed; returns when none did.
void fail_together(Communicator& comm, std::exception_ptr failure, const std::string& what);

}  // namespace fct::distributed
