// A small tmpfs mounted for one test, so that writes run out of space for real (ENOSPC from the
// kernel, not a mock). Mounting needs root; elsewhere mounted() is false and why() says so, for
// GTEST_SKIP. Unmounted (lazily: a test's open files may remain) when the object goes.
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace fct::testing {

class SmallDisk {
 public:
  // Mounts a tmpfs of `size` ("64k", "2m") at `path` (made if missing).
  SmallDisk(const std::string& path, const std::string& size) : path_(path) {
    std::filesystem::create_directories(path);
    if (::geteuid() != 0) {
      why_ = "mounting a small tmpfs needs root";
    } else if (::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0) {
      why_ = "cannot mount a tmpfs here: " + std::string(std::strerror(errno));
    } else {
      mounted_ = true;
    }
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  const std::string& path() const { return path_; }
  // Makes the disk `size` large, keeping its files ("after space is freed").
  bool resize(const std::string& size) const {
    return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace fct::testing
