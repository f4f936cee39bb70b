// TensorBoard event files read back through Python's protobuf (Debian's python3-protobuf) with
// messages compiled by protoc from fct's .proto: the reader that checks fct's writer is not fct.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/test_support.h"

namespace fct::testing {

// Why Python cannot read events here, or "" when it can.
inline std::string python_protobuf_missing() {
  if (run_command({"/usr/bin/python3", "-c", "import google.protobuf"}, 60).exit_code != 0)
    return "/usr/bin/python3 has no protobuf module (Debian: python3-protobuf)";
  if (run_command({"protoc", "--version"}, 60).exit_code != 0)
    return "no protoc (Debian: protobuf-compiler)";
  return "";
}

inline std::vector<std::string> event_files_in(const std::string& directory) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Compiles fct's event messages for Python into `scratch` (read_events.py's first argument).
inline void compile_event_messages_for_python(const std::string& scratch) {
  const std::string source = source_directory();
  const auto protoc = run_command({"protoc", "-I" + source, "--python_out=" + scratch,
                                   source + "/framework/tensorboard/tensorboard_event.proto"},
                                  120);
  EXPECT_EQ(protoc.exit_code, 0) << protoc.output;
}

// The events of `files` as tests/tensorboard/read_events.py prints them; fails the test with
// Python's message when a record is malformed. `scratch` receives the compiled messages.
inline std::vector<nlohmann::json> read_events_in_python(const std::vector<std::string>& files,
                                                         const std::string& scratch) {
  compile_event_messages_for_python(scratch);
  const std::string source = source_directory();
  std::vector<std::string> command = {"/usr/bin/python3",
                                      source + "/tests/tensorboard/read_events.py", scratch};
  command.insert(command.end(), files.begin(), files.end());
  const auto read = run_command(command, 120);
  EXPECT_EQ(read.exit_code, 0) << read.output;
  std::vector<nlohmann::json> events;
  std::istringstream lines(read.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] == '{') events.push_back(nlohmann::json::parse(line));
  return events;
}

}  // namespace fct::testing
