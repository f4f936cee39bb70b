#include "framework/core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

namespace fct {

void configure_logging(int rank, int world_size, bool verbose) {
  auto logger = spdlog::stderr_color_mt("fct-rank" + std::to_string(rank));
  const std::string tag = world_size > 1 ? "[rank " + std::to_string(rank) + "] " : "";
  logger->set_pattern("[%H:%M:%S] [%^%l%$] " + tag + "%v");
  if (rank == 0) {
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::info);
  } else {
    logger->set_level(spdlog::level::warn);
  }
  spdlog::set_default_logger(logger);
}

}  // namespace fct
