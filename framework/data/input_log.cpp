#include "framework/data/input_log.h"

#include <spdlog/spdlog.h>

#include "framework/core/error.h"

namespace fct::data {

InputLog::InputLog(std::string dataset, BadFilePolicy policy)
    : dataset_(std::move(dataset)), policy_(policy) {}

void InputLog::skipped(const std::string& path, const std::string& reason) {
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_.skipped_reads;
    first = skipped_.insert(path).second;
    if (first) ++counts_.skipped_files;
  }
  if (!first) return;
  // Decoder messages start with the path, which the line names already.
  const std::string why =
      reason.rfind(path + ": ", 0) == 0 ? reason.substr(path.size() + 2) : reason;
  spdlog::warn("data: {}: skipping unreadable {} ({})", dataset_, path, why);
}

void InputLog::truncated(const std::string& path) {
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++counts_.truncated_reads;
    first = truncated_.insert(path).second;
    if (first) ++counts_.truncated_files;
  }
  if (first) spdlog::warn("data: {}: {} is truncated; using what decodes", dataset_, path);
}

InputLog::Counts InputLog::counts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counts_;
}

nlohmann::json InputLog::summary() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {{"skipped_files", counts_.skipped_files},
          {"skipped_reads", counts_.skipped_reads},
          {"truncated_files", counts_.truncated_files},
          {"truncated_reads", counts_.truncated_reads},
          {"skipped", skipped_},
          {"truncated", truncated_}};
}

std::string InputLog::describe() const {
  const Counts c = counts();
  if (c.skipped_files == 0 && c.truncated_files == 0) return "";
  return dataset_ + ": skipped " + std::to_string(c.skipped_files) + " unreadable file(s) (" +
         std::to_string(c.skipped_reads) + " reads), used " + std::to_string(c.truncated_files) +
         " truncated file(s)";
}

}  // namespace fct::data
