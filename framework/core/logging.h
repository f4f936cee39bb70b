// Rank-aware logging on top of spdlog: rank 0 speaks for the job at info level; every other rank
// reports only warnings and errors, each line tagged with its rank.
#pragma once

namespace fct {

// Sets spdlog's default logger for this process. `verbose` lowers rank 0's level to debug.
void configure_logging(int rank, int world_size, bool verbose = false);

}  // namespace fct
