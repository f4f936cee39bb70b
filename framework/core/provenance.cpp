#include "framework/core/provenance.h"

#include <fmt/core.h>
#include <hdf5.h>
#include <spdlog/version.h>
#include <torch/version.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

#include "framework/core/build_info.h"  // generated: FCT_SOURCE_DIR, FCT_GIT_REVISION_AT_CONFIGURE

namespace fct {
namespace {

// Runs a shell command and returns its first line of output ("" on failure).
std::string first_line_of(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return "";
  std::array<char, 512> buffer{};
  std::string line;
  if (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) line = buffer.data();
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

std::string git_revision() {
  const std::string dir = FCT_SOURCE_DIR;
  const std::string revision = first_line_of("git -C '" + dir + "' rev-parse HEAD 2>/dev/null");
  if (revision.size() != 40) return FCT_GIT_REVISION_AT_CONFIGURE;
  const std::string dirty = first_line_of(
      "git -C '" + dir + "' status --porcelain --untracked-files=no 2>/dev/null | head -n 1");
  return dirty.empty() ? revision : revision + "-dirty";
}

nlohmann::json library_versions(const std::string& mpi_library_version) {
  unsigned h5_major = 0, h5_minor = 0, h5_release = 0;
  H5get_libversion(&h5_major, &h5_minor, &h5_release);
  nlohmann::json versions;
  versions["fct"] = FCT_VERSION;
  versions["libtorch"] = TORCH_VERSION;
  versions["mpi"] = mpi_library_version;
  versions["hdf5"] = fmt::format("{}.{}.{}", h5_major, h5_minor, h5_release);
  versions["spdlog"] =
      fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH);
  versions["fmt"] = FMT_VERSION;
  versions["compiler"] = fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#ifdef FCT_WITH_CUDA
  versions["cuda_build"] = true;
#else
  versions["cuda_build"] = false;
#endif
  return versions;
}

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

nlohmann::json make_provenance(const ProvenanceInputs& inputs) {
  nlohmann::json p;
  p["git_revision"] = git_revision();
  p["versions"] = library_versions(inputs.mpi_library_version);
  p["world_size"] = inputs.world_size;
  p["threads_per_rank"] = inputs.threads_per_rank;
  p["command_line"] = inputs.command_line;
  p["hostname"] = inputs.hostname;
  p["config_hash"] = fmt::format("{:016x}", inputs.config_hash);
  p["created"] = utc_timestamp();
  return p;
}

}  // namespace fct
