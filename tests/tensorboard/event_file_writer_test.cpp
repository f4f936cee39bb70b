// EventFileWriter: TFRecord framing with both checksums, the file-version event first, one
// scalar event per value at its step, a file per writer, and the same values read back by Python
// through messages compiled from the .proto (python_event_reader.h).
#include "framework/tensorboard/event_file_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/tensorboard/crc32c.h"
#include "framework/tensorboard/tensorboard_event.pb.h"
#include "tests/tensorboard/python_event_reader.h"
#include "tests/test_support.h"

namespace fct::tensorboard {
namespace {

using fct::testing::ScratchDir;

// Decodes every record of `path`, checking its framing and checksums.
std::vector<::tensorboard::Event> read_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<::tensorboard::Event> events;
  std::size_t offset = 0;
  while (offset < data.size()) {
    EXPECT_LE(offset + 12, data.size()) << "cut header at " << offset;
    if (offset + 12 > data.size()) break;
    uint64_t length = 0;
    uint32_t length_crc = 0, data_crc = 0;
    std::memcpy(&length, data.data() + offset, 8);  // little-endian, as this machine
    std::memcpy(&length_crc, data.data() + offset + 8, 4);
    EXPECT_EQ(length_crc, masked_crc32c(data.data() + offset, 8));
    EXPECT_LE(offset + 16 + length, data.size());
    if (offset + 16 + length > data.size()) break;
    std::memcpy(&data_crc, data.data() + offset + 12 + length, 4);
    EXPECT_EQ(data_crc, masked_crc32c(data.data() + offset + 12, length));
    ::tensorboard::Event event;
    EXPECT_TRUE(event.ParseFromArray(data.data() + offset + 12, static_cast<int>(length)));
    events.push_back(event);
    offset += 16 + length;
  }
  return events;
}

TEST(EventFileWriter, WritesTheVersionThenOneFramedEventPerScalar) {
  ScratchDir dir("fct-events");
  std::string path;
  {
    EventFileWriter writer(dir.path());
    path = writer.path();
    writer.add_scalar("epoch/train_loss", 0.75, 46);
    writer.add_scalar("epoch/lr", 0.125, 46);
    writer.add_scalar("epoch/train_loss", 0.5, 92);
    writer.flush();
  }
  EXPECT_EQ(std::filesystem::path(path).parent_path(), std::filesystem::path(dir.path()));
  EXPECT_EQ(std::filesystem::path(path).filename().string().rfind("events.out.tfevents.", 0), 0u);
  const auto events = read_records(path);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_GT(events[0].wall_time(), 1.5e9);
  EXPECT_EQ(events[1].step(), 46);
  ASSERT_EQ(events[1].summary().value_size(), 1);
  EXPECT_EQ(events[1].summary().value(0).tag(), "epoch/train_loss");
  EXPECT_EQ(events[1].summary().value(0).simple_value(), 0.75f);
  EXPECT_EQ(events[2].summary().value(0).tag(), "epoch/lr");
  EXPECT_EQ(events[3].step(), 92);
  EXPECT_EQ(events[3].summary().value(0).simple_value(), 0.5f);
  EXPECT_LE(events[1].wall_time(), events[3].wall_time());
}

TEST(EventFileWriter, TwoWritersInOneDirectoryWriteTwoFiles) {
  ScratchDir dir("fct-events");
  EventFileWriter first(dir.path());
  EventFileWriter second(dir.path());
  EXPECT_NE(first.path(), second.path());
  EXPECT_EQ(fct::testing::event_files_in(dir.path()).size(), 2u);
}

TEST(EventFileWriter, AMissingDirectoryIsAnErrorNamingIt) {
  ScratchDir dir("fct-events");
  try {
    EventFileWriter writer(dir.file("absent"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("absent")), std::string::npos) << e.what();
  }
}

TEST(EventFileWriter, PythonProtobufReadsTheSameValues) {
  const std::string missing = fct::testing::python_protobuf_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-events");
  {
    EventFileWriter writer(dir.path());
    for (int step = 1; step <= 50; ++step) writer.add_scalar("step/loss", 1.0 / step, step);
    writer.add_scalar("epoch/val_accuracy", 0.9665, 50);
    writer.flush();
  }
  const auto events =
      fct::testing::read_events_in_python(fct::testing::event_files_in(dir.path()), dir.path());
  ASSERT_EQ(events.size(), 52u);
  EXPECT_EQ(events[0].at("file_version"), "brain.Event:2");
  for (int step = 1; step <= 50; ++step) {
    EXPECT_EQ(events[step].at("tag"), "step/loss");
    EXPECT_EQ(events[step].at("step").get<int64_t>(), step);
    EXPECT_EQ(events[step].at("value").get<float>(), static_cast<float>(1.0 / step));
  }
  EXPECT_EQ(events[51].at("tag"), "epoch/val_accuracy");
  EXPECT_EQ(events[51].at("value").get<float>(), 0.9665f);
}

TEST(EventFileWriter, PythonRejectsAFlippedByte) {
  const std::string missing = fct::testing::python_protobuf_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-events");
  std::string path;
  {
    EventFileWriter writer(dir.path());
    path = writer.path();
    writer.add_scalar("epoch/lr", 0.5, 1);
    writer.flush();
  }
  {  // a byte inside the second record's message
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(0, std::ios::end);
    const auto size = static_cast<std::streamoff>(file.tellg());
    file.seekp(size - 8);
    file.put('\x7f');
  }
  fct::testing::compile_event_messages_for_python(dir.path());
  const std::string source = fct::testing::source_directory();
  const auto read = fct::testing::run_command(
      {"/usr/bin/python3", source + "/tests/tensorboard/read_events.py", dir.path(), path}, 120);
  EXPECT_NE(read.exit_code, 0);
  EXPECT_NE(read.output.find("bad data checksum"), std::string::npos) << read.output;
}

}  // namespace
}  // namespace fct::tensorboard
