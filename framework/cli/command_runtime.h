// What every distributed `fct` command sets up the same way: intra-op threads per rank (ranks ×
// threads = cores), the device, the communicator, and the provenance of the invocation.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "framework/cli/command_context.h"
#include "framework/config/experiment_config.h"
#include "framework/core/provenance.h"
#include "framework/distributed/communicator.h"

namespace fct::cli {

struct CommandRuntime {
  int threads = 1;
  torch::Device device = torch::kCPU;
  std::string backend;
  std::unique_ptr<distributed::Communicator> comm;
  ProvenanceInputs provenance;  // config_hash left 0: the command sets it
};

CommandRuntime make_command_runtime(const config::DistConfig& dist, const CommandContext& context);

}  // namespace fct::cli
