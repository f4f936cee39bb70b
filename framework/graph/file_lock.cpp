#include "framework/graph/file_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "framework/core/error.h"

namespace fct::graph {
namespace {

int flock_retrying(int fd, int operation) {
  int rc;
  do {
    rc = ::flock(fd, operation);
  } while (rc != 0 && errno == EINTR);  // a signal (the preemption handler) is not a failure
  return rc;
}

// Whether `path` still names the file open as `fd`. See Note [Lock files].
bool names_open_file(const std::string& path, int fd) {
  struct stat opened {};
  struct stat named {};
  if (::fstat(fd, &opened) != 0)
    throw Error(fmt::format("cannot stat the lock file {}: {}", path, std::strerror(errno)));
  if (::stat(path.c_str(), &named) != 0) {
    if (errno == ENOENT) return false;
    throw Error(fmt::format("cannot stat the lock file {}: {}", path, std::strerror(errno)));
  }
  return opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

const char* mode_name(FileLock::Mode mode) {
  return mode == FileLock::Mode::kExclusive ? "exclusive" : "shared";
}

}  // namespace

FileLock FileLock::acquire(const std::string& path, Mode mode) {
  return std::move(*lock(path, mode, /*wait=*/true));
}

std::optional<FileLock> FileLock::try_acquire(const std::string& path, Mode mode) {
  return lock(path, mode, /*wait=*/false);
}

std::optional<FileLock> FileLock::lock(const std::string& path, Mode mode, bool wait) {
  const std::filesystem::path file(path);
  if (file.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(file.parent_path(), error);
    if (error)
      throw Error(fmt::format("cannot create the directory of the lock file {}: {}", path,
                              error.message()));
  }
  const int operation = (mode == Mode::kExclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  for (;;) {
    // 0666 less the umask: every user who shares the cache must be able to lock its nodes.
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
      throw Error(fmt::format("cannot open the lock file {}: {}", path, std::strerror(errno)));
    if (flock_retrying(fd, operation) != 0) {
      const int error = errno;
      ::close(fd);
      if (!wait && error == EWOULDBLOCK) return std::nullopt;
      throw Error(fmt::format("cannot take the {} lock {}: {}", mode_name(mode), path,
                              std::strerror(error)));
    }
    try {
      if (names_open_file(path, fd)) return FileLock(path, fd, mode);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);  // removed (by gc) between open and flock: lock the file that has the name now
  }
}

FileLock::FileLock(FileLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), mode_(other.mode_) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    mode_ = other.mode_;
  }
  return *this;
}

FileLock::~FileLock() {
  release();
}

void FileLock::release() {
  // Closing the only descriptor of the open file releases its flock lock.
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

void FileLock::downgrade() {
  if (fd_ < 0) throw Error(fmt::format("cannot downgrade the lock {}: it is not held", path_));
  if (mode_ == Mode::kShared) return;
  if (flock_retrying(fd_, LOCK_SH) != 0)
    throw Error(
        fmt::format("cannot downgrade the lock {} to shared: {}", path_, std::strerror(errno)));
  mode_ = Mode::kShared;
  // Only a non-atomic conversion can have let gc in: then the file we hold is not the one named.
  if (!names_open_file(path_, fd_))
    throw Error(fmt::format(
        "lost the lock {} while downgrading it to shared: the lock file was removed in between",
        path_));
}

}  // namespace fct::graph
