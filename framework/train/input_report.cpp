#include "framework/train/input_report.h"

#include <spdlog/spdlog.h>

#include "framework/data/input_log.h"

namespace fct::train {

nlohmann::json input_report(const std::vector<std::pair<std::string, const data::Dataset*>>& sets,
                            distributed::Communicator& comm) {
  nlohmann::json report = nlohmann::json::object();
  for (const auto& [label, dataset] : sets) {
    const data::InputLog* log = dataset->input_log();
    if (log == nullptr) continue;  // the same on every rank: the dataset kind decides
    const auto c = log->counts();
    auto counts =
        torch::tensor({c.skipped_files, c.skipped_reads, c.truncated_files, c.truncated_reads});
    counts = counts.to(comm.device());
    comm.all_reduce(counts);
    const auto total = counts.cpu();
    const auto at = [&](int i) { return total[i].item<int64_t>(); };
    report[label] = {{"skipped_files", at(0)},
                     {"skipped_reads", at(1)},
                     {"truncated_files", at(2)},
                     {"truncated_reads", at(3)}};
    if (comm.rank() == 0 && (at(0) > 0 || at(2) > 0))
      spdlog::warn(
          "data: {} {}: skipped {} unreadable file(s) ({} reads), used {} truncated "
          "file(s); each is named once in the log above",
          dataset->name(), label, at(0), at(1), at(2));
  }
  return report;
}

}  // namespace fct::train
