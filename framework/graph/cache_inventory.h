// What the run cache holds and who uses it (`fct cache ls`), and removing what nobody needs
// (`fct cache gc`). See Note [What gc keeps].
//
// A run directory that uses cached nodes records them in its artifacts.json (run manifest):
//   {"artifacts_dir": "<the cache's root>", "nodes": [{"kind", "key", "name"}, ...]}
// and is registered in the cache's runs/ (artifact_cache.h), which is how gc finds it.
//
// Note [What gc keeps]
// A node is kept when
//   - a live run directory references it: registered, still there, and its artifacts.json lists
//     the node's kind and key under this cache's root (whether the node is complete or partial:
//     a partial one is a preempted build that the run's requeued job will resume);
//   - it was used less than `older_than` ago (complete: node.json's time; partial: the newest time
//     in its directory; artifact_cache.h);
//   - its lock cannot be taken exclusively at once: a run is building or reading it.
// Everything else is removed under its exclusive lock, after checking again under that lock
// (a run that finished using the node between the listing and the lock has written its
// artifacts.json by then). A run directory that cannot be seen from where gc runs counts as gone:
// run gc where every run directory that uses the cache is mounted.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "framework/graph/artifact_cache.h"

namespace fct::graph {

constexpr const char* kRunManifestFile = "artifacts.json";

// A node as a run directory uses it; `name` is what the run calls it ("old", "stores/new.h5").
struct NodeRef {
  std::string kind;
  std::string key;
  std::string name;
};

struct RunManifest {
  std::string artifacts_dir;
  std::vector<NodeRef> nodes;
};

std::string run_manifest_path(const std::string& run_directory);

// Creates `run_directory` if needed, registers it with the cache at `root`, then writes its
// artifacts.json atomically (in that order, so no manifest exists that gc cannot find). Throws
// fct::Error naming a node with an invalid kind or key.
void write_run_manifest(const std::string& run_directory, const std::string& root,
                        const std::vector<NodeRef>& nodes);
// Throws fct::Error naming the file if it is missing, not JSON or not a run manifest.
RunManifest read_run_manifest(const std::string& run_directory);

enum class NodeState {
  kComplete,     // stages/<kind>/<key>/ with node.json
  kPartial,      // stages/<kind>/<key>.partial/
  kUnpublished,  // stages/<kind>/<key>/ without node.json: not made by publish(); gc treats it
                 // as a partial node
};
// "complete", "partial", "unpublished".
std::string node_state_name(NodeState state);

struct CacheEntry {
  std::string kind;
  std::string key;
  NodeState state = NodeState::kComplete;
  std::string directory;
  std::uintmax_t bytes = 0;  // regular files, recursively, symbolic links not followed
  std::chrono::system_clock::time_point last_used;
  std::vector<std::string> runs;  // live run directories that reference it, sorted
};

// Every complete, partial and unpublished node, sorted by kind, key and state.
std::vector<CacheEntry> list_cache(const ArtifactCache& cache);

struct GcOptions {
  double older_than_seconds = 0.0;  // 0: no age condition
  bool dry_run = false;             // report, remove nothing
};

enum class KeepReason { kReferenced, kInUse, kTooRecent };

struct KeptNode {
  CacheEntry entry;
  KeepReason reason;
};

// "referenced by <runs>", "in use", "used <age> ago".
std::string describe_keep_reason(const KeptNode& kept, std::chrono::system_clock::time_point now);

struct GcReport {
  bool dry_run = false;
  std::vector<CacheEntry> removed;  // with a dry run: would be removed
  std::uintmax_t bytes_freed = 0;   // bytes of `removed`
  std::vector<KeptNode> kept;
  // Run directories that no longer exist, whose registrations were (would be) dropped.
  std::vector<std::string> dropped_runs;
  // `.deleting-*` directories left by an interrupted removal, removed (or to be removed).
  int leftovers_removed = 0;
};

// See Note [What gc keeps]. Also removes the lock files of nodes that no longer exist.
GcReport collect_garbage(const ArtifactCache& cache, const GcOptions& options);

// `--older-than` text: a number with an optional unit s, m, h or d ("0", "90s", "30m", "12h",
// "7d"; no unit = seconds). Throws fct::ConfigError naming `option` and the text otherwise.
double parse_age_seconds(const std::string& text, const std::string& option);

// "45s", "90m", "3h", "2d": rounded down, in a unit that leaves at least 2 of it.
std::string age_text(std::chrono::system_clock::duration age);

}  // namespace fct::graph
