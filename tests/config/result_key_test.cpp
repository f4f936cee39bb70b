// The result key keeps every setting that changes what a run produces and drops those that only
// change how it runs.
#include "framework/config/result_key.h"

#include <gtest/gtest.h>

namespace fct::config {
namespace {

TEST(ResultKey, IgnoresExecutionSettings) {
  ExperimentConfig base;
  ExperimentConfig changed = base;
  changed.output_dir = "elsewhere";
  changed.log_every = 1;
  changed.data.loader_threads = 4;
  changed.dist.threads_per_rank = 3;
  changed.dist.backend = "mpi";
  changed.dist.timeout_s = 10;
  changed.debug.fail_rank = 1;
  changed.debug.min_step_seconds = 0.5;
  changed.name = "another_study/old";  // a label: the same recipe elsewhere is the same model
  EXPECT_EQ(result_key(changed), result_key(base));

  DataConfig data;
  DataConfig more_threads = data;
  more_threads.loader_threads = 8;
  EXPECT_EQ(result_key(more_threads), result_key(data));
}

TEST(ResultKey, KeepsWhatChangesResults) {
  const ExperimentConfig base;
  const std::string key = result_key(base);
  auto differs = [&](auto change) {
    ExperimentConfig other = base;
    change(other);
    return result_key(other) != key;
  };
  EXPECT_TRUE(differs([](ExperimentConfig& c) { c.seed = 1; }));
  EXPECT_TRUE(differs([](ExperimentConfig& c) { c.optimizer.lr = 0.2; }));
  EXPECT_TRUE(differs([](ExperimentConfig& c) { c.data.classes = {0, 1}; }));
  EXPECT_TRUE(differs([](ExperimentConfig& c) { c.data.limit = 10; }));
  EXPECT_TRUE(differs([](ExperimentConfig& c) { c.model.embedding_dim = 64; }));
  EXPECT_TRUE(differs([](ExperimentConfig& c) { c.schedule.batch_size = 64; }));

  DataConfig data;
  DataConfig other = data;
  other.augment = false;
  EXPECT_NE(result_key(other), result_key(data));
}

}  // namespace
}  // namespace fct::config
