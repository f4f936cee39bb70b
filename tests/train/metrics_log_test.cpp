// MetricsLog: the CSV header once (also across a resume), epoch rows in the CSV and the JSON
// lines, step lines in the JSON lines only, and every number of both as TensorBoard scalars,
// which Python's protobuf reads back equal to the CSV.
#include "framework/train/metrics_log.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/tensorboard/python_event_reader.h"
#include "tests/test_support.h"

namespace fct::train {
namespace {

using fct::testing::read_text_file;
using fct::testing::ScratchDir;

const std::vector<std::string> kColumns = {"epoch",
                                           "step",
                                           "lr",
                                           "train_loss",
                                           "val_accuracy",
                                           "images_per_s",
                                           "epoch_seconds",
                                           "allreduce_wait_share"};

nlohmann::json epoch_row(int epoch) {
  return {{"epoch", epoch},
          {"step", 46 * epoch},
          {"lr", 0.18247703711489685 / epoch},
          {"train_loss", 0.3215073865392934 / epoch},
          {"val_accuracy", 0.9665 + 0.001 * epoch},
          {"images_per_s", 1425.0598621741472 + epoch},
          {"epoch_seconds", 8.818241124},
          {"allreduce_wait_share", 0.06223641717918371}};
}

std::vector<std::vector<std::string>> csv_rows(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(read_text_file(path));
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    rows.push_back(fields);
  }
  return rows;
}

TEST(MetricsLog, AResumedLogAppendsRowsUnderOneHeaderAndAddsAnEventFile) {
  ScratchDir dir("fct-metrics");
  { MetricsLog(dir.path(), kColumns).epoch(epoch_row(1)); }
  { MetricsLog(dir.path(), kColumns).epoch(epoch_row(2)); }
  const auto rows = csv_rows(dir.file("metrics.csv"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], kColumns);
  EXPECT_EQ(rows[1][0], "1");
  EXPECT_EQ(rows[2][0], "2");
  EXPECT_EQ(fct::testing::event_files_in(dir.path()).size(), 2u);
}

TEST(MetricsLog, TextWithACommaOrAQuoteIsQuotedInTheCsv) {
  ScratchDir dir("fct-metrics");
  {
    MetricsLog(dir.path(), {"epoch", "stage, name", "step"})
        .epoch({{"epoch", 1}, {"stage, name", "new \"v2\", b"}, {"step", 3}});
  }
  EXPECT_EQ(read_text_file(dir.file("metrics.csv")),
            "epoch,\"stage, name\",step\n1,\"new \"\"v2\"\", b\",3\n");
}

TEST(MetricsLog, PythonReadsTheTensorBoardScalarsEqualToTheCsv) {
  const std::string missing = fct::testing::python_protobuf_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-metrics");
  {
    MetricsLog log(dir.path(), kColumns);
    for (int epoch = 1; epoch <= 3; ++epoch) {
      log.step({{"epoch", epoch}, {"step", 46 * epoch - 10}, {"lr", 0.1}, {"loss", 0.5 / epoch}});
      log.epoch(epoch_row(epoch));
    }
  }
  ScratchDir scratch("fct-metrics-python");
  const auto events =
      fct::testing::read_events_in_python(fct::testing::event_files_in(dir.path()), scratch.path());

  // (tag, step) -> value, as TensorBoard would plot them.
  std::map<std::pair<std::string, int64_t>, float> scalars;
  for (const auto& event : events)
    if (event.contains("tag"))
      scalars[{event.at("tag").get<std::string>(), event.at("step").get<int64_t>()}] =
          event.at("value").get<float>();

  const auto rows = csv_rows(dir.file("metrics.csv"));
  ASSERT_EQ(rows.size(), 4u);
  int compared = 0;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const int64_t step = std::stoll(rows[r][1]);
    for (std::size_t c = 0; c < kColumns.size(); ++c) {
      if (kColumns[c] == "step") continue;
      const auto it = scalars.find({"epoch/" + kColumns[c], step});
      ASSERT_NE(it, scalars.end()) << "epoch/" << kColumns[c] << " at step " << step;
      EXPECT_EQ(it->second, static_cast<float>(std::stod(rows[r][c])))
          << kColumns[c] << " at step " << step;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 3 * 7);
  // The step lines' loss has "loss" in its tag, as TensorBoard's loss views expect.
  EXPECT_EQ(scalars.at({"step/loss", 36}), 0.5f);
  EXPECT_EQ(scalars.at({"step/loss", 128}), static_cast<float>(0.5 / 3));
  EXPECT_EQ(scalars.size(), 3u * 7 + 3 * 3);  // 7 epoch columns, 3 step fields (epoch, lr, loss)
}

}  // namespace
}  // namespace fct::train
