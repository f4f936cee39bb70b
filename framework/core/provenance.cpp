#include "framework/core/provenance.h"

#include <fmt/core.h>
#include <hdf5.h>
#include <spdlog/version.h>
#include <torch/version.h>

#include <chrono>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include "framework/core/build_info.h"  // generated: FCT_SOURCE_DIR, FCT_GIT_REVISION_AT_CONFIGURE
#include "framework/core/subprocess.h"

namespace fct {
namespace {

// git answers in milliseconds; a hung network file system must not hang every result written.
constexpr double kGitDeadlineSeconds = 30.0;

// The lines `git -C <source dir> args...` prints (stdout and stderr), none when it fails. No
// shell: the source path is one argument whatever it holds.
std::vector<std::string> git_lines(std::vector<std::string> args) {
  args.insert(args.begin(), {"git", "-C", FCT_SOURCE_DIR});
  const CommandResult result = run_command(args, kGitDeadlineSeconds);
  std::vector<std::string> lines;
  if (result.exit_code != 0) return lines;
  std::istringstream stream(result.output);
  for (std::string line; std::getline(stream, line);) {
    while (!line.empty() && line.back() == '\r') line.pop_back();
    // git's advice goes to stderr, which run_command merges: not part of the answer.
    if (line.rfind("warning:", 0) == 0 || line.rfind("hint:", 0) == 0) continue;
    lines.push_back(line);
  }
  return lines;
}

bool is_object_name(const std::string& text) {
  return text.size() == 40 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::string git_revision() {
  const auto revision = git_lines({"rev-parse", "HEAD"});
  if (revision.size() != 1 || !is_object_name(revision.front()))
    return FCT_GIT_REVISION_AT_CONFIGURE;
  const bool dirty = !git_lines({"status", "--porcelain", "--untracked-files=no"}).empty();
  return dirty ? revision.front() + "-dirty" : revision.front();
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
