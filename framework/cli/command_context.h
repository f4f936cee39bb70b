// What every `fct` subcommand receives from main(): the rank facts and the command line as typed.
#pragma once

#include <string>
#include <vector>

#include "framework/distributed/runtime.h"

namespace fct::cli {

struct CommandContext {
  distributed::RankInfo rank_info;
  std::vector<std::string> command_line;
  std::string mpi_library_version;
};

}  // namespace fct::cli
