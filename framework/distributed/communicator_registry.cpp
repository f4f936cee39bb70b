// The communicator registry: every transport fct can run collectives over, by the name YAML uses.
#include <functional>

#include "framework/core/error.h"
#include "framework/core/registry.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/mpi_communicator.h"
#ifdef FCT_WITH_CUDA
#include "framework/distributed/nccl_communicator.h"
#endif

namespace fct::distributed {
namespace {

using CommunicatorFactory =
    std::function<std::unique_ptr<Communicator>(const CommunicatorOptions&)>;

// Built per call: a handful of entries, and no static state to initialise in the right order.
Registry<CommunicatorFactory> communicator_registry() {
  std::vector<std::pair<std::string, CommunicatorFactory>> entries;
  entries.emplace_back("mpi", [](const CommunicatorOptions& options) {
    return std::make_unique<MpiCommunicator>(options);
  });
  // Registered in every build, so a config naming it reads the same everywhere; a build without
  // CUDA says what it lacks when the communicator is made.
  entries.emplace_back("nccl",
                       [](const CommunicatorOptions& options) -> std::unique_ptr<Communicator> {
#ifdef FCT_WITH_CUDA
                         return std::make_unique<NcclCommunicator>(options);
#else
    throw DistributedError(
        "communicator 'nccl' is not available: this build of fct has no CUDA/NCCL (configure with "
        "-DFCT_WITH_CUDA=ON where the CUDA toolkit and NCCL are installed), so use 'mpi'");
#endif
                       });
  return Registry<CommunicatorFactory>("communicator", std::move(entries));
}

}  // namespace

std::unique_ptr<Communicator> make_communicator(const std::string& name,
                                                const CommunicatorOptions& options) {
  return communicator_registry().get(name)(options);
}

std::vector<std::string> communicator_names() {
  return communicator_registry().names();
}

}  // namespace fct::distributed
