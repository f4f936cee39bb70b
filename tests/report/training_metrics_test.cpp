// A stage's metrics.csv read back: columns by name, one value per epoch, an empty field as NaN; a
// row of the wrong width or a field that is not a number is an error naming the file and line.
#include "framework/report/training_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::report {
namespace {

using fct::testing::ScratchDir;
using fct::testing::write_text_file;

TEST(TrainingMetrics, ReadsColumnsByName) {
  ScratchDir dir("fct-metrics");
  write_text_file(dir.file("metrics.csv"), "epoch,lr,val_mse\r\n1,0.1,0.5\r\n2,0.05,\r\n");
  const auto metrics = read_training_metrics(dir.file("metrics.csv"));
  EXPECT_EQ(metrics.columns, (std::vector<std::string>{"epoch", "lr", "val_mse"}));
  EXPECT_EQ(metrics.rows(), 2u);
  EXPECT_EQ(*metrics.column("lr"), (std::vector<double>{0.1, 0.05}));
  EXPECT_TRUE(std::isnan(metrics.column("val_mse")->at(1)));
  EXPECT_FALSE(metrics.column("val_accuracy"));
}

TEST(TrainingMetrics, ErrorsNameTheFileAndLine) {
  ScratchDir dir("fct-metrics");
  const std::string path = dir.file("metrics.csv");
  write_text_file(path, "epoch,lr\n1,0.1\n2\n");
  EXPECT_THROW(
      {
        try {
          read_training_metrics(path);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find(path + ":3: 1 fields, the header has 2"),
                    std::string::npos)
              << e.what();
          throw;
        }
      },
      Error);
  write_text_file(path, "epoch,lr\n1,fast\n");
  EXPECT_THROW(read_training_metrics(path), Error);
  write_text_file(path, "");
  EXPECT_THROW(read_training_metrics(path), Error);
  EXPECT_THROW(read_training_metrics(dir.file("missing.csv")), Error);
}

}  // namespace
}  // namespace fct::report
