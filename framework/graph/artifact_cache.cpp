#include "framework/graph/artifact_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/core/provenance.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;

bool exists_no_follow(const std::string& path) {
  std::error_code ignored;
  return fs::exists(fs::symlink_status(path, ignored));
}

// Renames `directory` to a `.deleting-*` sibling, then removes that: a removal cut short leaves a
// name that no reader takes for a node (see the layout in the header). The suffix is random, not
// only the pid: processes on different hosts of a cluster may share pids.
void remove_directory_safely(const std::string& directory) {
  if (!exists_no_follow(directory)) return;
  std::random_device random;
  const std::string doomed = fmt::format("{}.deleting-{}-{:08x}", directory, ::getpid(), random());
  if (std::rename(directory.c_str(), doomed.c_str()) != 0) {
    if (errno == ENOENT) return;  // another process removed it first
    throw Error(fmt::format("cannot rename {} to {} to remove it: {}", directory, doomed,
                            std::strerror(errno)));
  }
  std::error_code error;
  fs::remove_all(doomed, error);
  // `fct cache gc` removes `.deleting-*` leftovers and may have raced this removal to the end.
  if (error && exists_no_follow(doomed))
    throw Error(fmt::format("cannot remove {}: {}", doomed, error.message()));
}

// rename(2) that refuses to replace `to`: a plain rename would replace an empty directory.
// Falls back to rename where the file system has no RENAME_NOREPLACE (NFS); the caller has
// checked that `to` is absent and holds the node's exclusive lock.
int rename_no_replace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  return std::rename(from.c_str(), to.c_str());
}

}  // namespace

std::string absolute_path(const std::string& path) {
  std::string normal = fs::absolute(fs::path(path)).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

std::string resolve_artifacts_dir(const std::string& configured, const std::string& fallback) {
  if (!configured.empty()) return absolute_path(configured);
  const char* variable = std::getenv(kArtifactsDirVariable);
  if (variable != nullptr && *variable != '\0') return absolute_path(variable);
  return absolute_path(fallback);
}

std::string short_key(const std::string& key) {
  return key.substr(0, 12);
}

bool is_node_kind(const std::string& kind) {
  if (kind.empty()) return false;
  for (const char c : kind)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

bool is_node_key(const std::string& key) {
  if (key.size() != 16) return false;
  for (const char c : key)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

void check_node_kind(const std::string& kind) {
  if (!is_node_kind(kind))
    throw Error(fmt::format(
        "invalid stage node kind '{}': expected lower-case letters, digits and '_'", kind));
}

void check_node_key(const std::string& key) {
  if (!is_node_key(key))
    throw Error(fmt::format("invalid stage node key '{}': expected 16 lower-case hex digits", key));
}

ArtifactCache::ArtifactCache(std::string root) {
  if (root.empty()) throw Error("the run cache's root directory is empty");
  root_ = absolute_path(root);
}

std::string ArtifactCache::stages_directory() const {
  return root_ + "/" + kStagesFolder;
}
std::string ArtifactCache::locks_directory() const {
  return root_ + "/locks";
}
std::string ArtifactCache::runs_directory() const {
  return root_ + "/runs";
}

std::string ArtifactCache::directory(const std::string& kind, const std::string& key) const {
  check_node_kind(kind);
  check_node_key(key);
  return stages_directory() + "/" + kind + "/" + key;
}

std::string ArtifactCache::partial_directory(const std::string& kind,
                                             const std::string& key) const {
  return directory(kind, key) + kPartialSuffix;
}

std::string ArtifactCache::lock_path(const std::string& kind, const std::string& key) const {
  check_node_kind(kind);
  check_node_key(key);
  return locks_directory() + "/" + kind + "/" + key + ".lock";
}

bool ArtifactCache::contains(const std::string& kind, const std::string& key) const {
  std::error_code ignored;
  return fs::is_regular_file(directory(kind, key) + "/" + kNodeFile, ignored);
}

FileLock ArtifactCache::lock(const std::string& kind, const std::string& key,
                             FileLock::Mode mode) const {
  return FileLock::acquire(lock_path(kind, key), mode);
}

std::optional<FileLock> ArtifactCache::try_lock(const std::string& kind, const std::string& key,
                                                FileLock::Mode mode) const {
  return FileLock::try_acquire(lock_path(kind, key), mode);
}

std::string ArtifactCache::begin(const std::string& kind, const std::string& key) const {
  const std::string partial = partial_directory(kind, key);
  std::error_code error;
  fs::create_directories(partial, error);
  if (error)
    throw Error(fmt::format("cannot create the partial directory {} of node {}/{}: {}", partial,
                            kind, key, error.message()));
  return partial;
}

void ArtifactCache::publish(const std::string& kind, const std::string& key,
                            const nlohmann::json& node_meta) const {
  const std::string partial = partial_directory(kind, key);
  const std::string final_directory = directory(kind, key);
  if (!node_meta.is_object())
    throw Error(
        fmt::format("cannot publish node {}/{}: its node.json must be a JSON object, not {}", kind,
                    key, node_meta.dump()));
  std::error_code ignored;
  if (!fs::is_directory(partial, ignored))
    throw Error(fmt::format("cannot publish node {}/{}: there is no partial directory {}", kind,
                            key, partial));
  if (exists_no_follow(final_directory))
    throw Error(
        fmt::format("cannot publish node {}/{}: {} exists already", kind, key, final_directory));
  nlohmann::json meta = node_meta;
  meta["kind"] = kind;
  meta["key"] = key;
  meta["published"] = utc_timestamp();
  write_text_atomically(partial + "/" + kNodeFile, meta.dump(2) + "\n");
  if (rename_no_replace(partial, final_directory) != 0) {
    const int error = errno;
    if (error == EEXIST || error == ENOTEMPTY)
      throw Error(
          fmt::format("cannot publish node {}/{}: {} exists already", kind, key, final_directory));
    throw Error(fmt::format("cannot publish node {}/{}: rename {} to {}: {}", kind, key, partial,
                            final_directory, std::strerror(error)));
  }
}

void ArtifactCache::discard(const std::string& kind, const std::string& key) const {
  remove_directory_safely(partial_directory(kind, key));
}

void ArtifactCache::remove(const std::string& kind, const std::string& key) const {
  remove_directory_safely(directory(kind, key));
}

void ArtifactCache::touch(const std::string& kind, const std::string& key) const {
  const std::string node_file = directory(kind, key) + "/" + kNodeFile;
  if (::utimensat(AT_FDCWD, node_file.c_str(), nullptr, 0) == 0) return;
  if (errno != ENOENT)
    throw Error(fmt::format("cannot record the use of node {}/{} on {}: {}", kind, key, node_file,
                            std::strerror(errno)));
  const std::string partial = partial_directory(kind, key);
  if (::utimensat(AT_FDCWD, partial.c_str(), nullptr, 0) == 0) return;
  if (errno == ENOENT)
    throw Error(fmt::format("cannot record the use of node {}/{}: neither {} nor {} exists", kind,
                            key, node_file, partial));
  throw Error(fmt::format("cannot record the use of node {}/{} on {}: {}", kind, key, partial,
                          std::strerror(errno)));
}

std::string ArtifactCache::registration_path(const std::string& run_directory) const {
  return runs_directory() + "/" + to_hex(fnv1a(absolute_path(run_directory))) + ".json";
}

void ArtifactCache::register_run(const std::string& run_directory) const {
  const nlohmann::json registration = {{"run_directory", absolute_path(run_directory)}};
  write_text_atomically(registration_path(run_directory), registration.dump(2) + "\n");
}

std::string ArtifactCache::relative_to_root(const std::string& path) const {
  const fs::path relative = fs::path(absolute_path(path)).lexically_relative(root_);
  if (relative.empty() || *relative.begin() == "..") return path;
  return relative.string();
}

void refuse_cached_artifact(const std::string& path, const std::string& what) {
  std::error_code error;
  const fs::path real = fs::weakly_canonical(path, error);
  if (error)
    return;  // a path that cannot be resolved is not in a cache either; the caller says why
  for (fs::path node = real.parent_path(); node.has_parent_path() && node != node.parent_path();
       node = node.parent_path()) {
    const fs::path stages = node.parent_path().parent_path();
    const bool published = fs::exists(node / kNodeFile);
    const bool partial = node.extension() == kPartialSuffix;
    if ((published || partial) && stages.filename() == kStagesFolder) {
      throw Error(what + ": " + path + " is an artifact of the run cache " +
                  stages.parent_path().string() + " (node " +
                  node.parent_path().filename().string() + " " + node.filename().string() +
                  "), shared by every run that uses it: copy it (cp -L) and work on the copy");
    }
  }
}

}  // namespace fct::graph
