// FileLock: an flock(2) lock on a lock file, held for the lifetime of the object. See Note [Lock
// files].
//
// Note [Lock files]
// The run cache is shared by processes that know nothing of each other (two `fct run`s, SLURM
// jobs on several nodes), so they meet on lock files. flock is used, not a lock file's mere
// existence, because the kernel drops a lock when its holder dies: a builder killed by SIGKILL or
// by its time limit must not block every later run until someone deletes a file by hand.
//
// `fct cache gc` unlinks the lock file of a node it removes, while holding it. A process that
// opened the file just before and locks it just after would then hold a lock on an inode that no
// longer has a name, while a third process creates a fresh file and locks that: two "exclusive"
// holders. So after flock succeeds the lock checks that its path still names the inode it locked,
// and starts over if not.
//
// The descriptor is close-on-exec, so a program this process starts does not hold the lock; a child
// forked without exec does, since it shares the open file, until it exits.
//
// The file is opened for reading and writing although flock needs neither: NFS emulates flock
// with byte-range locks, and an exclusive one needs a descriptor open for writing.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace fct::graph {

class FileLock {
 public:
  enum class Mode { kShared, kExclusive };

  // Blocks until the lock is held. Creates the lock file and its parent directories. Throws
  // fct::Error naming the path and the reason when the file cannot be created, opened or locked.
  static FileLock acquire(const std::string& path, Mode mode);
  // nullopt when another process holds a conflicting lock; throws as acquire() otherwise.
  static std::optional<FileLock> try_acquire(const std::string& path, Mode mode);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Exclusive → shared, without a moment unlocked (Linux converts an flock lock in one step on a
  // local file system): a node just published stays protected from `fct cache gc`. Throws
  // fct::Error if the lock is not held, or, where the conversion was not atomic (a network file
  // system), if the lock file was removed in between.
  void downgrade();
  // Unlocks now rather than at destruction; afterwards held() is false.
  void release();

  bool held() const { return fd_ >= 0; }
  Mode mode() const { return mode_; }
  const std::string& path() const { return path_; }

 private:
  FileLock(std::string path, int fd, Mode mode) : path_(std::move(path)), fd_(fd), mode_(mode) {}
  static std::optional<FileLock> lock(const std::string& path, Mode mode, bool wait);

  std::string path_;
  int fd_ = -1;
  Mode mode_ = Mode::kShared;
};

}  // namespace fct::graph
