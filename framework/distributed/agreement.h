// Small collectives built on Communicator that make the ranks agree: rank 0's text everywhere,
// whether every rank holds the same values, whether any rank failed. Every fct module that needs
// one of these uses these, not MPI directly, so every collective has the communicator's timeout.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/distributed/communicator.h"

namespace fct::distributed {

// Collective: `text` of rank `root`, on every rank.
std::string broadcast_text(Communicator& comm, const std::string& text, int root = 0);

// Collective: per entry, whether every rank passes the same value (one all-reduce for all
// entries). Every rank passes as many values.
std::vector<bool> same_on_all_ranks(Communicator& comm, const std::vector<uint64_t>& values);

// Collective: throws DistributedError unless `value` (a hash of the resolved config, a parameter
// checksum) is the same on every rank; `what` names it in the message, with each rank's value.
void check_same_on_all_ranks(Communicator& comm, uint64_t value, const std::string& what);

// Collective: whether `flag` is true on at least one rank.
bool any_rank(Communicator& comm, bool flag);

}  // namespace fct::distributed
