// A training stage's metrics.csv (train/ writes one row per epoch: epoch, step, lr, train_loss,
// train_accuracy, the stage's evaluation metric — val_accuracy, val_mse, ... — images_per_s,
// epoch_seconds, allreduce_wait_share) read back as numeric columns, for the report's curves.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace fct::report {

struct TrainingMetrics {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> values;  // values[c][row]; an empty field is NaN

  std::size_t rows() const { return values.empty() ? 0 : values.front().size(); }
  // The column named `name`; nullopt when the file has none.
  std::optional<std::vector<double>> column(const std::string& name) const;
};

// Throws fct::Error naming `path` and the line when the file cannot be read, has no header, or a
// row has the wrong number of fields or a field that is not a number.
TrainingMetrics read_training_metrics(const std::string& path);

}  // namespace fct::report
