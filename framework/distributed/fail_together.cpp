#include "framework/distributed/fail_together.h"

#include "framework/core/error.h"

namespace fct::distributed {

void fail_together(Communicator& comm, std::exception_ptr failure, const std::string& what) {
  auto flag = torch::tensor({failure ? static_cast<int64_t>(comm.rank()) + 1 : int64_t{0}});
  comm.all_reduce(flag, ReduceOp::kMax);
  if (failure) std::rethrow_exception(failure);
  const int64_t failed = flag.item<int64_t>();
  if (failed > 0)
    throw DistributedError("rank " + std::to_string(failed - 1) + " failed while " + what +
                           " (its message says why)");
}

}  // namespace fct::distributed
