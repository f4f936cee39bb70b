#include "framework/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "framework/core/error.h"

namespace fct {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

// fsync(2) of the file or directory at `path`: its data (a file) or its entries (a directory) are
// on the disk when this returns, or an Error says why not.
void sync_to_disk(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0) throw Error("cannot open " + path + " to sync it: " + errno_text());
  if (::fsync(fd) != 0) {
    // Some file systems cannot sync a directory (EINVAL): the rename is then as durable as the
    // file system makes it, which is all that can be had there.
    const int error = errno;
    ::close(fd);
    if (directory && (error == EINVAL || error == ENOTSUP)) return;
    throw Error("cannot sync " + path + " to disk: " + std::strerror(error));
  }
  if (::close(fd) != 0) throw Error("cannot close " + path + ": " + errno_text());
}

void sync_renamed(const std::string& path) {
  const std::filesystem::path target(path);
  sync_to_disk(target.has_parent_path() ? target.parent_path().string() : ".", true);
}

std::string temporary_path_for(const std::string& path) {
  const std::filesystem::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".tmp." + std::to_string(::getpid())))
      .string();
}

void write_atomically(const std::string& path,
                      const std::function<void(const std::string& temporary_path)>& write) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  const std::string temporary = temporary_path_for(path);
  try {
    write(temporary);
    sync_to_disk(temporary, false);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw Error("cannot rename " + temporary + " to " + path + ": " + reason);
  }
  sync_renamed(path);
}

void stream_atomically(const std::string& path,
                       const std::function<void(const ByteSink& put)>& produce) {
  write_atomically(path, [&](const std::string& temporary) {
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot create " + temporary + ": " + errno_text());
    int failure = 0;  // the first write error
    const ByteSink put = [&](const void* data, std::size_t size) {
      const auto* bytes = static_cast<const char*>(data);
      while (failure == 0 && size > 0) {
        const ssize_t written = ::write(fd, bytes, size);
        if (written < 0 && errno == EINTR) continue;
        if (written < 0) {
          failure = errno;
          break;
        }
        bytes += written;
        size -= static_cast<std::size_t>(written);
      }
    };
    try {
      produce(put);
    } catch (...) {
      ::close(fd);
      throw;
    }
    // close(2) is where some file systems (NFS) report a failed write.
    if (::close(fd) != 0 && failure == 0) failure = errno;
    const std::string what = "cannot write " + path + " (as " + temporary + "): ";
    if (failure == ENOSPC || failure == EDQUOT)
      throw Error(what + "no space left on the device (" + std::strerror(failure) + ")");
    if (failure != 0) throw Error(what + std::strerror(failure));
  });
}

void write_text_atomically(const std::string& path, const std::string& text) {
  stream_atomically(path, [&](const ByteSink& put) { put(text.data(), text.size()); });
}

}  // namespace fct
