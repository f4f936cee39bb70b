// What every `fct` subcommand receives from main(): the rank facts and the command line as typed.
#pragma once

#include <string>
#include <vector>

#include "framework/dist/runtime.h"

namespace fct::cli {

struct CommandContext {
  dist::RankInfo rank_info;
  std::vector<std::string> command_line;
  std::string mpi_library_version;
};

}  // namespace fct::cli
