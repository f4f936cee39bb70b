#include "framework/train/metrics_log.h"

#include <filesystem>

#include "framework/core/error.h"

namespace fct::train {

MetricsLog::MetricsLog(const std::string& directory, std::vector<std::string> csv_columns)
    : columns_(std::move(csv_columns)) {
  const std::string csv_path = directory + "/metrics.csv";
  const bool csv_exists =
      std::filesystem::exists(csv_path) && std::filesystem::file_size(csv_path) > 0;
  csv_.open(csv_path, std::ios::app);
  jsonl_.open(directory + "/metrics.jsonl", std::ios::app);
  if (!csv_ || !jsonl_) throw Error("cannot open the metrics files in " + directory);
  if (!csv_exists) {
    for (std::size_t i = 0; i < columns_.size(); ++i) csv_ << (i ? "," : "") << columns_[i];
    csv_ << "\n";
    csv_.flush();
  }
}

void MetricsLog::epoch(const nlohmann::json& row) {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (i) csv_ << ",";
    const auto it = row.find(columns_[i]);
    if (it == row.end() || it->is_null()) continue;
    if (it->is_string()) {
      csv_ << it->get<std::string>();
    } else {
      csv_ << it->dump();
    }
  }
  csv_ << "\n";
  csv_.flush();
  nlohmann::json line = row;
  line["event"] = "epoch";
  jsonl_ << line.dump() << "\n";
  jsonl_.flush();
}

void MetricsLog::step(const nlohmann::json& row) {
  nlohmann::json line = row;
  line["event"] = "step";
  jsonl_ << line.dump() << "\n";
  jsonl_.flush();
}

}  // namespace fct::train
