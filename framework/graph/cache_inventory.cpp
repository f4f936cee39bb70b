#include "framework/graph/cache_inventory.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;
using NodeId = std::pair<std::string, std::string>;  // kind, key

// Locks held at once by gc: far below the usual limit of 1024 open files.
constexpr std::size_t kLockBatch = 256;
constexpr const char* kDeletingMarker = ".deleting-";

Clock::time_point modification_time(const struct stat& st) {
  const auto since_epoch =
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(since_epoch));
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The entries of `directory`, none if it does not exist; throws fct::Error otherwise.
std::vector<fs::directory_entry> entries_of(const std::string& directory) {
  std::vector<fs::directory_entry> entries;
  std::error_code error;
  fs::directory_iterator it(directory, error);
  if (error == std::errc::no_such_file_or_directory) return entries;
  for (; !error && it != fs::directory_iterator(); it.increment(error)) entries.push_back(*it);
  if (error && error != std::errc::no_such_file_or_directory)
    throw Error(fmt::format("cannot list {}: {}", directory, error.message()));
  return entries;
}

struct TreeFacts {
  std::uintmax_t bytes = 0;
  Clock::time_point newest;
  bool found = false;
};

// Sizes and times of everything under `path`, symbolic links not followed. Entries that vanish
// while it walks (a build still writing, another gc) are skipped.
void walk(const std::string& path, TreeFacts& facts) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw Error(fmt::format("cannot stat {}: {}", path, std::strerror(errno)));
  }
  facts.found = true;
  facts.newest = std::max(facts.newest, modification_time(st));
  if (S_ISREG(st.st_mode)) facts.bytes += static_cast<std::uintmax_t>(st.st_size);
  if (!S_ISDIR(st.st_mode)) return;
  for (const auto& entry : entries_of(path)) walk(entry.path().string(), facts);
}

bool same_directory(const std::string& a, const std::string& b) {
  if (absolute_path(a) == absolute_path(b)) return true;
  std::error_code ignored;
  return fs::equivalent(a, b, ignored);
}

// Which live run directories reference which nodes, from the registrations in runs/.
struct References {
  std::map<NodeId, std::set<std::string>> runs_of;
  std::vector<std::pair<std::string, std::string>> dead;  // registration file, run directory
};

References read_references(const ArtifactCache& cache) {
  References references;
  for (const auto& entry : entries_of(cache.runs_directory())) {
    const std::string name = entry.path().filename().string();
    // Temporaries of write_atomically start with '.', so they never match.
    if (name.size() != 21 || !ends_with(name, ".json") || !is_node_key(name.substr(0, 16)))
      continue;
    const std::string path = entry.path().string();
    std::ifstream in(path);
    if (!in) continue;  // dropped by another gc since the listing
    std::string run;
    try {
      run = nlohmann::json::parse(in).at("run_directory").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
      throw Error(
          fmt::format("run cache registration {}: not a registration ({}); remove it if "
                      "its run directory is gone",
                      path, e.what()));
    }
    std::error_code error;
    const auto status = fs::status(run, error);
    if (error && error != std::errc::no_such_file_or_directory)
      // Not knowing is not "gone": its nodes must not be removed on a guess.
      throw Error(
          fmt::format("cannot tell whether the run directory {} (registered in {}) still "
                      "exists: {}",
                      run, path, error.message()));
    if (!fs::is_directory(status)) {
      references.dead.emplace_back(path, run);
      continue;
    }
    if (!fs::exists(run_manifest_path(run))) continue;  // uses no node yet
    const RunManifest manifest = read_run_manifest(run);
    if (!same_directory(manifest.artifacts_dir, cache.root())) continue;  // moved to another cache
    for (const auto& node : manifest.nodes) references.runs_of[{node.kind, node.key}].insert(run);
  }
  return references;
}

// The node at `directory` as it is now; nullopt if it is gone.
std::optional<CacheEntry> examine(const std::string& kind, const std::string& key, NodeState state,
                                  const std::string& directory) {
  CacheEntry entry;
  entry.kind = kind;
  entry.key = key;
  entry.directory = directory;
  TreeFacts facts;
  walk(directory, facts);
  if (!facts.found) return std::nullopt;
  entry.bytes = facts.bytes;
  entry.last_used = facts.newest;
  struct stat node_file {};
  if (state != NodeState::kPartial) {
    if (::stat((directory + "/" + kNodeFile).c_str(), &node_file) == 0) {
      entry.state = NodeState::kComplete;
      entry.last_used = modification_time(node_file);  // see "Last use" in artifact_cache.h
    } else {
      entry.state = NodeState::kUnpublished;
    }
  } else {
    entry.state = NodeState::kPartial;
  }
  return entry;
}

struct Scan {
  std::vector<CacheEntry> nodes;
  std::vector<std::string> leftovers;  // .deleting-* directories
};

Scan scan_nodes(const ArtifactCache& cache) {
  Scan scan;
  for (const auto& kind_entry : entries_of(cache.stages_directory())) {
    const std::string kind = kind_entry.path().filename().string();
    if (!is_node_kind(kind)) continue;
    for (const auto& entry : entries_of(kind_entry.path().string())) {
      const std::string name = entry.path().filename().string();
      std::error_code ignored;
      if (!entry.is_directory(ignored) || entry.is_symlink(ignored)) continue;
      std::optional<CacheEntry> node;
      if (name.find(kDeletingMarker) != std::string::npos) {
        scan.leftovers.push_back(entry.path().string());
      } else if (is_node_key(name)) {
        node = examine(kind, name, NodeState::kComplete, entry.path().string());
      } else if (ends_with(name, kPartialSuffix) &&
                 is_node_key(name.substr(0, name.size() - std::strlen(kPartialSuffix)))) {
        node = examine(kind, name.substr(0, 16), NodeState::kPartial, entry.path().string());
      }
      if (node) scan.nodes.push_back(std::move(*node));
    }
  }
  std::sort(scan.nodes.begin(), scan.nodes.end(), [](const CacheEntry& a, const CacheEntry& b) {
    return std::tie(a.kind, a.key, a.state) < std::tie(b.kind, b.key, b.state);
  });
  return scan;
}

void attach_runs(CacheEntry& entry, const References& references) {
  entry.runs.clear();
  const auto it = references.runs_of.find({entry.kind, entry.key});
  if (it != references.runs_of.end()) entry.runs.assign(it->second.begin(), it->second.end());
}

bool old_enough(const CacheEntry& entry, Clock::time_point now, double older_than_seconds) {
  if (older_than_seconds <= 0.0) return true;
  return std::chrono::duration<double>(now - entry.last_used).count() > older_than_seconds;
}

// The lock files of nodes that no longer exist, removed under their exclusive lock.
void remove_orphan_lock_files(const ArtifactCache& cache) {
  for (const auto& kind_entry : entries_of(cache.locks_directory())) {
    const std::string kind = kind_entry.path().filename().string();
    if (!is_node_kind(kind)) continue;
    for (const auto& entry : entries_of(kind_entry.path().string())) {
      const std::string name = entry.path().filename().string();
      if (name.size() != 21 || !ends_with(name, ".lock") || !is_node_key(name.substr(0, 16)))
        continue;
      const std::string key = name.substr(0, 16);
      std::error_code ignored;
      if (fs::exists(cache.directory(kind, key), ignored) ||
          fs::exists(cache.partial_directory(kind, key), ignored))
        continue;
      auto lock = cache.try_lock(kind, key, FileLock::Mode::kExclusive);
      if (!lock) continue;  // a builder about to begin()
      if (fs::exists(cache.directory(kind, key), ignored) ||
          fs::exists(cache.partial_directory(kind, key), ignored))
        continue;
      fs::remove(lock->path(), ignored);  // while held: see Note [Lock files]
    }
  }
}

}  // namespace

std::string run_manifest_path(const std::string& run_directory) {
  return (fs::path(run_directory) / kRunManifestFile).string();
}

void write_run_manifest(const std::string& run_directory, const std::string& root,
                        const std::vector<NodeRef>& nodes) {
  nlohmann::json listed = nlohmann::json::array();
  for (const auto& node : nodes) {
    check_node_kind(node.kind);
    check_node_key(node.key);
    listed.push_back({{"kind", node.kind}, {"key", node.key}, {"name", node.name}});
  }
  const ArtifactCache cache(root);
  std::error_code error;
  fs::create_directories(run_directory, error);
  if (error)
    throw Error(
        fmt::format("cannot create the run directory {}: {}", run_directory, error.message()));
  cache.register_run(run_directory);
  const nlohmann::json manifest = {{"artifacts_dir", cache.root()}, {"nodes", listed}};
  write_text_atomically(run_manifest_path(run_directory), manifest.dump(2) + "\n");
}

RunManifest read_run_manifest(const std::string& run_directory) {
  const std::string path = run_manifest_path(run_directory);
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("cannot read the run manifest {}", path));
  RunManifest manifest;
  try {
    const auto json = nlohmann::json::parse(in);
    manifest.artifacts_dir = json.at("artifacts_dir").get<std::string>();
    for (const auto& node : json.at("nodes")) {
      NodeRef ref{node.at("kind").get<std::string>(), node.at("key").get<std::string>(),
                  node.value("name", std::string())};
      check_node_kind(ref.kind);
      check_node_key(ref.key);
      manifest.nodes.push_back(std::move(ref));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("run manifest {}: {}", path, e.what()));
  } catch (const Error& e) {
    throw Error(fmt::format("run manifest {}: {}", path, e.what()));
  }
  return manifest;
}

std::string node_state_name(NodeState state) {
  switch (state) {
    case NodeState::kComplete:
      return "complete";
    case NodeState::kPartial:
      return "partial";
    case NodeState::kUnpublished:
      return "unpublished";
  }
  return "unknown";
}

std::vector<CacheEntry> list_cache(const ArtifactCache& cache) {
  const References references = read_references(cache);
  Scan scan = scan_nodes(cache);
  for (auto& entry : scan.nodes) attach_runs(entry, references);
  return std::move(scan.nodes);
}

std::string describe_keep_reason(const KeptNode& kept, Clock::time_point now) {
  switch (kept.reason) {
    case KeepReason::kReferenced: {
      std::string runs;
      for (const auto& run : kept.entry.runs) runs += (runs.empty() ? "" : ", ") + run;
      return "referenced by " + runs;
    }
    case KeepReason::kInUse:
      return "in use";
    case KeepReason::kTooRecent:
      return "used " + age_text(now - kept.entry.last_used) + " ago";
  }
  return "";
}

GcReport collect_garbage(const ArtifactCache& cache, const GcOptions& options) {
  GcReport report;
  report.dry_run = options.dry_run;
  const auto now = Clock::now();
  const References references = read_references(cache);
  Scan scan = scan_nodes(cache);

  // First without locks: what the listing alone shows worth keeping.
  std::map<NodeId, std::vector<CacheEntry>> candidates;
  for (auto& entry : scan.nodes) {
    attach_runs(entry, references);
    if (!entry.runs.empty()) {
      report.kept.push_back({entry, KeepReason::kReferenced});
    } else if (!old_enough(entry, now, options.older_than_seconds)) {
      report.kept.push_back({entry, KeepReason::kTooRecent});
    } else {
      candidates[{entry.kind, entry.key}].push_back(entry);
    }
  }

  // Then each candidate under its exclusive lock (one lock for the complete and the partial
  // directory of a key), checked again.
  auto next = candidates.begin();
  while (next != candidates.end()) {
    std::vector<std::pair<NodeId, std::optional<FileLock>>> locked;
    for (; next != candidates.end() && locked.size() < kLockBatch; ++next) {
      const auto& [kind, key] = next->first;
      std::error_code ignored;
      // A dry run creates no lock file: none there means no holder.
      if (options.dry_run && !fs::exists(cache.lock_path(kind, key), ignored)) {
        locked.emplace_back(next->first, std::nullopt);
        continue;
      }
      auto lock = cache.try_lock(kind, key, FileLock::Mode::kExclusive);
      if (!lock) {
        for (const auto& entry : next->second) report.kept.push_back({entry, KeepReason::kInUse});
        continue;
      }
      locked.emplace_back(next->first, std::move(lock));
    }
    // A run that finished with a node after the first look has written its artifacts.json.
    const References now_references = read_references(cache);
    for (auto& [id, lock] : locked) {
      const auto& [kind, key] = id;
      for (const auto& listed : candidates.at(id)) {
        auto entry = examine(kind, key, listed.state, listed.directory);
        if (!entry) continue;  // removed or published meanwhile
        attach_runs(*entry, now_references);
        if (!entry->runs.empty()) {
          report.kept.push_back({*entry, KeepReason::kReferenced});
          continue;
        }
        if (!old_enough(*entry, now, options.older_than_seconds)) {
          report.kept.push_back({*entry, KeepReason::kTooRecent});
          continue;
        }
        if (!options.dry_run) {
          if (entry->state == NodeState::kPartial)
            cache.discard(kind, key);
          else
            cache.remove(kind, key);
        }
        report.bytes_freed += entry->bytes;
        report.removed.push_back(std::move(*entry));
      }
      std::error_code ignored;
      if (!options.dry_run && lock && !fs::exists(cache.directory(kind, key), ignored) &&
          !fs::exists(cache.partial_directory(kind, key), ignored))
        fs::remove(lock->path(), ignored);  // while held: see Note [Lock files]
    }
  }

  for (const auto& leftover : scan.leftovers) {
    ++report.leftovers_removed;
    if (options.dry_run) continue;
    std::error_code ignored;  // another gc may be removing it too
    fs::remove_all(leftover, ignored);
  }
  for (const auto& [registration, run] : references.dead) {
    report.dropped_runs.push_back(run);
    if (options.dry_run) continue;
    std::error_code ignored;
    if (!fs::exists(run, ignored)) fs::remove(registration, ignored);
  }
  if (!options.dry_run) remove_orphan_lock_files(cache);

  std::sort(report.removed.begin(), report.removed.end(),
            [](const CacheEntry& a, const CacheEntry& b) {
              return std::tie(a.kind, a.key, a.state) < std::tie(b.kind, b.key, b.state);
            });
  std::sort(report.kept.begin(), report.kept.end(), [](const KeptNode& a, const KeptNode& b) {
    return std::tie(a.entry.kind, a.entry.key, a.entry.state) <
           std::tie(b.entry.kind, b.entry.key, b.entry.state);
  });
  return report;
}

double parse_age_seconds(const std::string& text, const std::string& option) {
  const auto invalid = [&] {
    return ConfigError(fmt::format(
        "{}: '{}' is not an age: expected a number with an optional unit s, m, h or d (90s, 30m, "
        "12h, 7d; 0 = no age condition)",
        option, text));
  };
  if (text.empty()) throw invalid();
  double multiplier = 1.0;
  std::string number = text;
  switch (text.back()) {
    case 's':
      number.pop_back();
      break;
    case 'm':
      multiplier = 60.0;
      number.pop_back();
      break;
    case 'h':
      multiplier = 3600.0;
      number.pop_back();
      break;
    case 'd':
      multiplier = 86400.0;
      number.pop_back();
      break;
    default:
      break;
  }
  if (number.empty() ||
      !(std::isdigit(static_cast<unsigned char>(number.front())) || number.front() == '.'))
    throw invalid();  // no sign, no blanks, no "inf"
  std::size_t used = 0;
  double value = 0.0;
  try {
    value = std::stod(number, &used);
  } catch (const std::exception&) {
    throw invalid();
  }
  if (used != number.size() || !std::isfinite(value)) throw invalid();
  return value * multiplier;
}

std::string age_text(Clock::duration age) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(age).count();
  if (seconds < 0) return "0s";  // a clock of another host a little ahead
  if (seconds < 120) return fmt::format("{}s", seconds);
  if (seconds < 2 * 3600) return fmt::format("{}m", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{}h", seconds / 3600);
  return fmt::format("{}d", seconds / 86400);
}

}  // namespace fct::graph
