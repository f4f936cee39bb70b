#include "framework/train/metrics_log.h"

#include <filesystem>

#include "framework/core/error.h"
#include "framework/core/report_text.h"

namespace fct::train {

namespace {

// Every number of `row` except the step itself, as a scalar at the row's global step.
void add_scalars(tensorboard::EventFileWriter& events, const std::string& prefix,
                 const nlohmann::json& row) {
  const auto step = row.find("step");
  if (step == row.end() || !step->is_number_integer()) return;
  for (const auto& [key, value] : row.items()) {
    if (key == "step" || !value.is_number()) continue;
    events.add_scalar(prefix + key, value.get<double>(), step->get<int64_t>());
  }
  events.flush();
}

// Flushes `out`; a failed write (a full disk) is an error naming the file, not a silently short
// log.
void check_written(std::ofstream& out, const std::string& path) {
  out.flush();
  if (!out) throw Error("cannot write " + path + " (no space left on the device?)");
}

}  // namespace

MetricsLog::MetricsLog(const std::string& directory, std::vector<std::string> csv_columns)
    : columns_(std::move(csv_columns)), events_(directory) {
  csv_path_ = directory + "/metrics.csv";
  jsonl_path_ = directory + "/metrics.jsonl";
  const std::string& csv_path = csv_path_;
  const bool csv_exists =
      std::filesystem::exists(csv_path) && std::filesystem::file_size(csv_path) > 0;
  csv_.open(csv_path, std::ios::app);
  jsonl_.open(jsonl_path_, std::ios::app);
  if (!csv_ || !jsonl_) throw Error("cannot open the metrics files in " + directory);
  if (!csv_exists) {
    for (std::size_t i = 0; i < columns_.size(); ++i)
      csv_ << (i ? "," : "") << csv_field(columns_[i]);
    csv_ << "\n";
    check_written(csv_, csv_path_);
  }
}

void MetricsLog::epoch(const nlohmann::json& row) {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (i) csv_ << ",";
    const auto it = row.find(columns_[i]);
    if (it == row.end() || it->is_null()) continue;
    if (it->is_string()) {
      csv_ << csv_field(it->get<std::string>());
    } else {
      csv_ << it->dump();
    }
  }
  csv_ << "\n";
  check_written(csv_, csv_path_);
  nlohmann::json line = row;
  line["event"] = "epoch";
  jsonl_ << line.dump() << "\n";
  check_written(jsonl_, jsonl_path_);
  add_scalars(events_, "epoch/", row);
}

void MetricsLog::step(const nlohmann::json& row) {
  nlohmann::json line = row;
  line["event"] = "step";
  jsonl_ << line.dump() << "\n";
  check_written(jsonl_, jsonl_path_);
  add_scalars(events_, "step/", row);
}

}  // namespace fct::train
