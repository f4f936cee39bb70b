#include "framework/core/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "framework/core/error.h"

namespace fct {

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
}

void write_text_atomically(const std::string& path, const std::string& text) {
  write_atomically(path, [&](const std::string& temporary) {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot open " + temporary + " for writing");
    out << text;
    out.flush();
    if (!out) throw Error("write to " + temporary + " failed (disk full?)");
  });
}

}  // namespace fct
