#include "framework/cli/command_runtime.h"

#include "framework/cli/commands.h"
#include "framework/cli/enum_option.h"
#include "framework/distributed/compute_threads.h"
#include "framework/distributed/device.h"
#include "framework/distributed/runtime.h"

namespace fct::cli {

CommandRuntime make_command_runtime(const config::DistConfig& dist, const CommandContext& context) {
  const auto& info = context.rank_info;
  CommandRuntime runtime;
  runtime.threads = distributed::threads_for_rank(static_cast<int>(dist.threads_per_rank), info);
  distributed::set_compute_threads(runtime.threads);
  runtime.device = distributed::select_device(dist.device, info.local_rank);
  runtime.backend = dist.backend == config::DistConfig::kAutoBackend
                        ? distributed::default_communicator(runtime.device)
                        : dist.backend;
  distributed::CommunicatorOptions options;
  options.timeout_s = dist.timeout_s;
  options.device_index = runtime.device.is_cuda() ? runtime.device.index() : 0;
  runtime.comm = distributed::make_communicator(runtime.backend, options);
  runtime.provenance.command_line = context.command_line;
  runtime.provenance.world_size = info.size;
  runtime.provenance.threads_per_rank = runtime.threads;
  runtime.provenance.hostname = info.hostname;
  runtime.provenance.mpi_library_version = context.mpi_library_version;
  return runtime;
}

void add_device_options(CLI::App& command, config::DistConfig& dist) {
  command.add_option("--threads", dist.threads_per_rank,
                     "intra-op threads per rank (0 = cores of the node / ranks on it)");
  add_enum_option(command, "--device", dist.device, "cpu, cuda or auto");
  command.add_option("--timeout", dist.timeout_s, "seconds before a stuck collective ends the job");
}

}  // namespace fct::cli
