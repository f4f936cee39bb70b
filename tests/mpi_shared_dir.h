// For tests under mpirun: this process's rank, a string broadcast from rank 0, and a scratch
// directory that every rank names the same (rank 0 owns it and removes it after a final barrier).
#pragma once

#include <mpi.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace fct::testing {

inline int mpi_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

inline std::string broadcast_text(std::string text) {
  int size = static_cast<int>(text.size());
  MPI_Bcast(&size, 1, MPI_INT, 0, MPI_COMM_WORLD);
  text.resize(static_cast<std::size_t>(size));
  MPI_Bcast(text.data(), size, MPI_CHAR, 0, MPI_COMM_WORLD);
  return text;
}

class SharedDir {
 public:
  explicit SharedDir(const std::string& prefix) {
    if (mpi_rank() == 0) own_.emplace(prefix);
    path_ = broadcast_text(mpi_rank() == 0 ? own_->path() : "");
  }
  ~SharedDir() { MPI_Barrier(MPI_COMM_WORLD); }  // nobody still uses it when rank 0 removes it
  SharedDir(const SharedDir&) = delete;
  SharedDir& operator=(const SharedDir&) = delete;

  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }
  // The names of the files under the directory (recursively, relative), sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path_))
      if (entry.is_regular_file())
        names.push_back(std::filesystem::relative(entry.path(), path_).string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::optional<ScratchDir> own_;
  std::string path_;
};

}  // namespace fct::testing
