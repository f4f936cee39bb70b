// InputLog: what the loader met among a dataset's files — unreadable files it skipped, truncated
// JPEGs it used — each logged once with its path (an epoch revisits the same bad file; the log
// must not repeat it), counted for the run summary. Shared by every loader thread of a dataset.
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "framework/config/choices.h"

namespace fct::data {

// What to do with a file that does not decode (data.bad_files): skip it (the loader substitutes the
// next readable sample, deterministically) or fail the run naming it.
using config::BadFilePolicy;

class InputLog {
 public:
  InputLog(std::string dataset, BadFilePolicy policy);

  BadFilePolicy policy() const { return policy_; }
  // Thread-safe. The first report of a path is logged as a warning.
  void skipped(const std::string& path, const std::string& reason);
  void truncated(const std::string& path);

  struct Counts {
    int64_t skipped_files = 0;  // distinct files
    int64_t skipped_reads = 0;  // times a skipped file was met (once per epoch and view)
    int64_t truncated_files = 0;
    int64_t truncated_reads = 0;
  };
  Counts counts() const;
  // {"skipped_files", ..., "skipped": [paths], "truncated": [paths]} for summary.json.
  nlohmann::json summary() const;
  // One line for the end of a run ("" when nothing was met).
  std::string describe() const;

 private:
  const std::string dataset_;
  const BadFilePolicy policy_;
  mutable std::mutex mutex_;
  std::set<std::string> skipped_;
  std::set<std::string> truncated_;
  Counts counts_;
};

}  // namespace fct::data
