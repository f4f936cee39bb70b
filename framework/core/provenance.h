// Provenance: what produced a result — the git revision, library versions, world size, command
// line, host and time — written next to every result so that a run can be traced and repeated.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fct {

struct ProvenanceInputs {
  std::vector<std::string> command_line;
  int world_size = 1;
  int threads_per_rank = 1;
  std::string hostname;
  std::string mpi_library_version;
  uint64_t config_hash = 0;
};

// The source tree's git revision (with "-dirty" when it has uncommitted changes), read at run
// time, falling back to the revision recorded when the build was configured.
std::string git_revision();

// Versions of LibTorch, MPI (as given), HDF5, yaml-cpp, spdlog, fmt and fct itself.
nlohmann::json library_versions(const std::string& mpi_library_version);

nlohmann::json make_provenance(const ProvenanceInputs& inputs);

// The current UTC time as ISO 8601 (2026-11-28T01:02:03Z).
std::string utc_timestamp();

}  // namespace fct
