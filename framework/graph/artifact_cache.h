// ArtifactCache: the content-addressed directory that holds every stage node's artifacts, shared
// by every run, study, sweep point and grid cell, and by processes that run at the same time
// (several `fct run`s, SLURM jobs on a cluster file system). See Note [Building a node].
//
// Layout under the root:
//   stages/<kind>/<key>/            a complete node: its artifacts and node.json. node.json is
//                                   written before the directory gets this name, so a directory
//                                   of this name without it was never published by fct.
//   stages/<kind>/<key>.partial/    a node being built, or whose build was preempted: its
//                                   checkpoint is what the next attempt resumes from.
//   stages/<kind>/<key>.deleting-*  a node being removed (renamed first, so that a crash half way
//                                   never leaves half a node under a name that looks complete).
//   locks/<kind>/<key>.lock         the node's lock file (file_lock.h).
//   runs/<fnv1a of the run directory>.json
//                                   {"run_directory": "<absolute path>"}: a run directory that
//                                   uses nodes of this cache; its artifacts.json says which
//                                   (cache_inventory.h). `fct cache gc` keeps what they name.
//
// Note [Building a node]
// To obtain node (kind, key):
//   1. lock(kind, key, kExclusive)                         blocks while another process builds it
//   2. contains(kind, key)?  yes: touch(), downgrade() the lock to shared, use directory().
//   3. no:  begin() → the partial directory (it may hold a preempted attempt's checkpoint);
//           build into it; publish() renames it to directory(); downgrade() the lock.
//           On failure: discard() (a preemption keeps it), release the lock, rethrow.
//   4. Keep the shared lock while the run reads the node; write the run's artifacts.json
//      (write_run_manifest, which also registers the run) *before* releasing it.
// A node is "in use" while any lock on it is held: `fct cache gc` removes only nodes whose lock it
// can take exclusively without waiting, and re-checks them under that lock, so it never removes a
// node that is being built or read, nor one that a run finished using just before.
//
// Last use: the modification time of a complete node's node.json, which publish() sets and
// touch() renews (the artifacts' own times say when they were written, not when they were read);
// for a partial node, the newest modification time of anything in its directory.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "framework/graph/file_lock.h"

namespace fct::graph {

// Environment variable naming the cache's root when the config does not.
constexpr const char* kArtifactsDirVariable = "FCT_ARTIFACTS_DIR";
constexpr const char* kDefaultArtifactsDir = "runs/cache";
constexpr const char* kNodeFile = "node.json";
// The layout above: the folder of the nodes, and the suffix of a node being built.
constexpr const char* kStagesFolder = "stages";
constexpr const char* kPartialSuffix = ".partial";

// `configured` if not empty, else $FCT_ARTIFACTS_DIR if set and not empty, else `fallback`
// ("runs/cache" unless the caller knows better); made absolute (against the current directory)
// and lexically normal.
std::string resolve_artifacts_dir(const std::string& configured,
                                  const std::string& fallback = kDefaultArtifactsDir);

// The first 12 hex digits of a node key, as tables and log lines show it.
std::string short_key(const std::string& key);

// `path` made absolute (against the current directory) and lexically normal, without a trailing
// '/': the one spelling under which run directories and roots are recorded and compared.
std::string absolute_path(const std::string& path);

// Throw fct::Error naming the value unless `kind` is lower-case letters, digits and '_', and
// `key` is 16 lower-case hex digits: both become path components.
void check_node_kind(const std::string& kind);
void check_node_key(const std::string& key);
bool is_node_kind(const std::string& kind);
bool is_node_key(const std::string& key);

// Throws fct::Error when `path` (after following links) lies inside a published or partial node
// of a run cache (a directory holding node.json, two levels below stages/): such a file is shared
// by every run that uses the node and must not be changed in place. `what` names the command.
void refuse_cached_artifact(const std::string& path, const std::string& what);

class ArtifactCache {
 public:
  // `root` is made absolute and lexically normal; nothing is created until used.
  explicit ArtifactCache(std::string root);

  const std::string& root() const { return root_; }

  // Paths of a node (kind and key are checked; nothing is created).
  std::string directory(const std::string& kind, const std::string& key) const;
  std::string partial_directory(const std::string& kind, const std::string& key) const;
  std::string lock_path(const std::string& kind, const std::string& key) const;
  std::string stages_directory() const;
  std::string locks_directory() const;
  std::string runs_directory() const;

  // Whether the node is complete: its directory holds node.json.
  bool contains(const std::string& kind, const std::string& key) const;

  FileLock lock(const std::string& kind, const std::string& key, FileLock::Mode mode) const;
  std::optional<FileLock> try_lock(const std::string& kind, const std::string& key,
                                   FileLock::Mode mode) const;

  // Creates the partial directory if missing and returns it. The caller holds the exclusive lock.
  std::string begin(const std::string& kind, const std::string& key) const;
  // Writes node.json (`node_meta`, an object, with "kind", "key" and "published", the UTC time)
  // into the partial directory, then renames the partial directory to directory(). Throws
  // fct::Error if there is no partial directory or the node is already there. The caller holds
  // the exclusive lock.
  void publish(const std::string& kind, const std::string& key,
               const nlohmann::json& node_meta) const;
  // Removes the partial directory, if any. The caller holds the exclusive lock.
  void discard(const std::string& kind, const std::string& key) const;
  // Removes the complete node, if any (`fct cache gc`). The caller holds the exclusive lock.
  void remove(const std::string& kind, const std::string& key) const;
  // Records a use of the node now: node.json's modification time, or, for a partial node only,
  // the partial directory's. Throws fct::Error if neither exists.
  void touch(const std::string& kind, const std::string& key) const;
  // Records that `run_directory` uses nodes of this cache (atomically; idempotent).
  void register_run(const std::string& run_directory) const;
  // The registration file of `run_directory`.
  std::string registration_path(const std::string& run_directory) const;

  // `path` relative to the root when it lies under it ("stages/old/0123..."), else unchanged.
  std::string relative_to_root(const std::string& path) const;

 private:
  std::string root_;
};

}  // namespace fct::graph
