#include "framework/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

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

void write_text_atomically(const std::string& path, const std::string& text) {
  write_atomically(path, [&](const std::string& temporary) {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot open " + temporary + " for writing");
    out << text;
    out.close();  // close(2) is where some file systems (NFS) report a failed write
    if (!out) throw Error("write to " + temporary + " failed (no space left on the device?)");
  });
}

}  // namespace fct
