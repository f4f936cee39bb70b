#include "framework/tensorboard/event_file_writer.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "framework/core/error.h"
#include "framework/tensorboard/crc32c.h"
#include "framework/tensorboard/tensorboard_event.pb.h"

namespace fct::tensorboard {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

void put_little_endian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFFu));
}

}  // namespace

EventFileWriter::EventFileWriter(const std::string& directory) {
  if (!std::filesystem::is_directory(directory))
    throw Error("TensorBoard events: " + directory + " is not a directory");
  const std::string stem = directory + "/events.out.tfevents." +
                           std::to_string(static_cast<int64_t>(now_seconds())) + "." + host_name() +
                           "." + std::to_string(getpid());
  path_ = stem;
  for (int n = 1; std::filesystem::exists(path_); ++n) path_ = stem + "." + std::to_string(n);
  out_.open(path_, std::ios::binary);
  if (!out_) throw Error("cannot create the TensorBoard event file " + path_);
  ::tensorboard::Event event;
  event.set_wall_time(now_seconds());
  event.set_file_version("brain.Event:2");
  write_record(event.SerializeAsString());
  flush();
}

void EventFileWriter::add_scalar(const std::string& tag, double value, int64_t step) {
  ::tensorboard::Event event;
  event.set_wall_time(now_seconds());
  event.set_step(step);
  ::tensorboard::Summary::Value* entry = event.mutable_summary()->add_value();
  entry->set_tag(tag);
  entry->set_simple_value(static_cast<float>(value));
  write_record(event.SerializeAsString());
}

void EventFileWriter::flush() {
  out_.flush();
  if (!out_) throw Error("cannot write the TensorBoard event file " + path_);
}

void EventFileWriter::write_record(const std::string& bytes) {
  std::string header;
  put_little_endian(header, bytes.size(), 8);
  const uint32_t length_crc = masked_crc32c(header.data(), header.size());
  put_little_endian(header, length_crc, 4);
  std::string footer;
  put_little_endian(footer, masked_crc32c(bytes.data(), bytes.size()), 4);
  out_ << header << bytes << footer;
}

}  // namespace fct::tensorboard
