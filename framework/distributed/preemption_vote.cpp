#include "framework/distributed/preemption_vote.h"

#include "framework/core/preemption.h"

namespace fct::distributed {

bool any_rank_preempted(Communicator& comm) {
  auto flag = torch::tensor({preemption_requested() ? int64_t{1} : int64_t{0}});
  comm.all_reduce(flag);
  return flag.item<int64_t>() > 0;
}

}  // namespace fct::distributed
