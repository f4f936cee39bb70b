#include "tests/test_support.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fct::testing {

ScratchDir::ScratchDir(const std::string& tag) {
  std::random_device device;
  const auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    const auto candidate =
        base / (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(device()));
    if (std::filesystem::create_directories(candidate)) {
      path_ = candidate.string();
      return;
    }
  }
  throw std::runtime_error("cannot create a scratch directory under " + base.string());
}

ScratchDir::~ScratchDir() {
  // A failed test's files (job logs, run directories, configs) are its evidence: keep them.
  if (::testing::Test::HasFailure()) {
    std::cerr << "fct test: kept the scratch directory of the failed test: " << path_ << "\n";
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string fct_binary() {
  return std::string(FCT_BINARY_DIR) + "/fct";
}
std::string source_directory() {
  return FCT_SOURCE_DIR;
}
std::string mpiexec() {
  return FCT_MPIEXEC;
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << text;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace fct::testing
