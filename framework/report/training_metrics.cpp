#include "framework/report/training_metrics.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "framework/core/error.h"

namespace fct::report {
namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos) return fields;
    start = comma + 1;
  }
}

}  // namespace

std::optional<std::vector<double>> TrainingMetrics::column(const std::string& name) const {
  for (std::size_t c = 0; c < columns.size(); ++c)
    if (columns[c] == name) return values[c];
  return std::nullopt;
}

TrainingMetrics read_training_metrics(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read " + path);
  TrainingMetrics metrics;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto fields = split_fields(line);
    if (metrics.columns.empty()) {
      metrics.columns = std::move(fields);
      metrics.values.resize(metrics.columns.size());
      continue;
    }
    if (fields.size() != metrics.columns.size())
      throw Error(path + ":" + std::to_string(line_number) + ": " + std::to_string(fields.size()) +
                  " fields, the header has " + std::to_string(metrics.columns.size()));
    for (std::size_t c = 0; c < fields.size(); ++c) {
      double value = std::numeric_limits<double>::quiet_NaN();
      if (!fields[c].empty()) {
        char* end = nullptr;
        value = std::strtod(fields[c].c_str(), &end);
        if (end == fields[c].c_str() || *end != '\0')
          throw Error(path + ":" + std::to_string(line_number) + ": " + metrics.columns[c] +
                      " is not a number: '" + fields[c] + "'");
      }
      metrics.values[c].push_back(value);
    }
  }
  if (metrics.columns.empty()) throw Error(path + ": empty, expected a header line");
  return metrics;
}

}  // namespace fct::report
