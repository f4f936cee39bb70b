// What a run directory says about its stages, read from the files the graph wrote (graph.json or
// artifacts.json, and each cached node's node.json), without the graph library: report/ sits
// beside graph/, and a report must also read a directory written by another build. Whether a
// stage came from the cache is read from times: a node published before the run started
// (provenance.json's "created") was built earlier, for another run or an earlier attempt.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fct::report {

enum class StageOrigin {
  kBuiltByThisRun,
  kFromCache,
  kInCache,    // in the cache, but the run's start is unknown
  kPerRun,     // not cached: made by every run (a run's own table)
  kNotCached,  // no node.json: never built, still to run, or collected by gc
};

const char* describe(StageOrigin origin);

struct StageRecord {
  std::string name;  // as the run directory links it ("old", "stores/new"); else the label
  std::string kind, key, label;
  std::string directory;  // <run>/<name> when that is a directory (models), else ""
  StageOrigin origin = StageOrigin::kNotCached;
  double seconds = 0.0;   // wall time of its build (node.json)
  std::string published;  // when it entered the cache (UTC, ISO 8601)
  std::string built_for;  // the run directory it was first built for
};

// The stages of `run_directory`, in graph order: every node of its graph.json, else of its
// artifacts.json; empty when it has neither. Throws fct::Error naming a file that exists but is
// not what the graph writes.
std::vector<StageRecord> read_run_stages(const std::string& run_directory);

// When the run started: provenance.json's "created", else the earliest of the run directories
// directly below (a sweep's points). nullopt when none says.
std::optional<std::string> run_start_time(const std::string& run_directory);

}  // namespace fct::report
