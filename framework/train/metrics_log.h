// MetricsLog: a run's numbers, as CSV (one row per epoch, for spreadsheets and plots), JSON
// lines (every logged step and epoch, for scripts) and TensorBoard scalars (every number of both,
// tagged "epoch/<column>" and "step/<field>", plotted against the global step). Written by
// rank 0; appends on resume (TensorBoard: a second event file in the same directory).
#pragma once

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "framework/tensorboard/event_file_writer.h"

namespace fct::train {

class MetricsLog {
 public:
  // `csv_columns` fixes the CSV header; a resumed run appends to the existing files.
  MetricsLog(const std::string& directory, std::vector<std::string> csv_columns);

  // One epoch row: written to the CSV (missing columns left empty) and to the JSON lines with
  // "event": "epoch".
  void epoch(const nlohmann::json& row);
  // A step line, JSON lines only, with "event": "step".
  void step(const nlohmann::json& row);

 private:
  std::vector<std::string> columns_;
  std::string csv_path_, jsonl_path_;
  std::ofstream csv_;
  std::ofstream jsonl_;
  tensorboard::EventFileWriter events_;
};

}  // namespace fct::train
