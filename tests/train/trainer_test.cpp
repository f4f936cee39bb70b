// Trainer on one rank (SoloCommunicator) with stub tasks over rows held in memory
// (data::RowBatchSource): the steps of an epoch are the full batches of the shard, the warm-up
// and cosine learning rate reach the optimiser step by step, step metrics are written every
// log_every global steps and epoch rows every epoch, the summary counts epochs and steps (also
// when stopping early and resuming), the same seed gives the same weights and another seed other
// ones, and the fault injection of the fail-fast tests throws fct::Error at its step.
#include "framework/train/trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/data/batch_source.h"
#include "framework/train/lr_schedule.h"
#include "tests/graph/solo_communicator.h"
#include "tests/tensorboard/python_event_reader.h"
#include "tests/test_support.h"

namespace fct::train {
namespace {

namespace fs = std::filesystem;
using fct::testing::read_text_file;
using fct::testing::ScratchDir;

constexpr int64_t kFeatures = 3;

// Rows of y = x·w + noise, from a fixed seed.
struct Rows {
  torch::Tensor x, y;
};

Rows synthetic_rows(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  const auto x = torch::randn({n, kFeatures});
  const auto w = torch::tensor({{1.5f}, {-2.0f}, {0.5f}});
  return {x, x.matmul(w) + 0.1 * torch::randn({n, 1})};
}

// Linear regression on in-memory rows: a batch names its rows in `ids`. Records what the
// Trainer asked of it.
class LinearTask : public TrainingTask {
 public:
  LinearTask(Rows train, Rows val) : train_(std::move(train)), val_(std::move(val)) {
    torch::manual_seed(0);  // every task starts from the same weights
    linear_ = torch::nn::Linear(kFeatures, 1);
  }
  std::string name() const override { return "linear"; }
  torch::nn::Module& module() override { return *linear_; }
  StepOutput train_step(const data::Batch& batch) override {
    train_batches.push_back(batch);
    const auto x = train_.x.index_select(0, batch.ids);
    const auto y = train_.y.index_select(0, batch.ids);
    return {torch::mse_loss(linear_->forward(x), y), 0, batch.ids.size(0)};
  }
  EvalCounts eval_step(const data::Batch& batch) override {
    torch::NoGradGuard no_grad;
    eval_batches.push_back(batch);
    const auto x = val_.x.index_select(0, batch.ids);
    const auto y = val_.y.index_select(0, batch.ids);
    return {(linear_->forward(x) - y).pow(2).sum().item<double>(), batch.ids.size(0)};
  }
  std::string eval_metric() const override { return "val_mse"; }
  bool has_accuracy() const override { return false; }

  // The metric over the whole validation split with the current weights.
  double val_mse() {
    torch::NoGradGuard no_grad;
    return (linear_->forward(val_.x) - val_.y).pow(2).sum(1).mean().item<double>();
  }
  std::vector<torch::Tensor> weights() const {
    std::vector<torch::Tensor> state;
    for (const auto& p : linear_->parameters()) state.push_back(p.detach().clone());
    return state;
  }

  std::vector<data::Batch> train_batches;
  std::vector<data::Batch> eval_batches;

 private:
  Rows train_, val_;
  torch::nn::Linear linear_{nullptr};
};

// One scalar parameter w whose loss is w itself: its gradient is 1, so plain SGD lowers w by
// exactly the step's learning rate. w before each step is recorded.
class LearningRateProbe : public TrainingTask {
 public:
  LearningRateProbe() : module_(std::make_shared<torch::nn::Module>()) {
    w_ = module_->register_parameter("w", torch::zeros({1}));
  }
  std::string name() const override { return "probe"; }
  torch::nn::Module& module() override { return *module_; }
  StepOutput train_step(const data::Batch& batch) override {
    w_before_step.push_back(w_.item<double>());
    return {w_.sum(), 0, batch.ids.size(0)};
  }
  EvalCounts eval_step(const data::Batch& batch) override { return {0.0, batch.ids.size(0)}; }
  double w() const { return w_.item<double>(); }

  std::vector<double> w_before_step;

 private:
  std::shared_ptr<torch::nn::Module> module_;
  torch::Tensor w_;
};

// A task whose loss is not a number.
class NanTask : public LearningRateProbe {
 public:
  StepOutput train_step(const data::Batch& batch) override {
    StepOutput out = LearningRateProbe::train_step(batch);
    out.loss = out.loss * std::numeric_limits<float>::quiet_NaN();
    return out;
  }
};

data::RowBatchSource row_source(int64_t n) {
  return data::RowBatchSource(torch::arange(n, torch::kInt64) % 2);
}

// 10 training rows in batches of 4: 2 full batches per epoch (the last 2 rows are dropped).
config::ExperimentConfig small_config() {
  config::ExperimentConfig config;
  config.name = "trainer-test";
  config.seed = 3;
  config.log_every = 4;
  config.schedule.epochs = 3;
  config.schedule.batch_size = 4;
  config.schedule.warmup_epochs = 1.0;
  config.schedule.eval_batch_size = 4;
  config.optimizer.lr = 0.05;
  return config;
}

TrainerOptions options_in(const std::string& directory) {
  TrainerOptions options;
  options.run_directory = directory;
  options.show_progress = false;
  return options;
}

std::vector<nlohmann::json> read_json_lines(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(Trainer, AnEpochIsTheFullBatchesOfTheShuffledTrainingRows) {
  ScratchDir dir("fct-trainer");
  testing::SoloCommunicator comm;
  const auto config = small_config();
  LinearTask task(synthetic_rows(10, 1), synthetic_rows(6, 2));
  Trainer trainer(config, comm, options_in(dir.file("run")));
  const auto summary = trainer.run(task, row_source(10), row_source(6));

  ASSERT_EQ(task.train_batches.size(), 6u);  // 3 epochs of 10 / 4 = 2 steps
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::set<int64_t> rows;
    for (int64_t step = 0; step < 2; ++step) {
      const auto& batch = task.train_batches[static_cast<std::size_t>(2 * epoch + step)];
      EXPECT_EQ(batch.epoch, epoch);
      ASSERT_EQ(batch.ids.size(0), 4);
      for (int64_t i = 0; i < 4; ++i) rows.insert(batch.ids[i].item<int64_t>());
    }
    EXPECT_EQ(rows.size(), 8u) << "epoch " << epoch << ": a row twice in one epoch";
    EXPECT_TRUE(*rows.rbegin() < 10 && *rows.begin() >= 0);
  }
  // The epochs draw different permutations.
  EXPECT_FALSE(task.train_batches[0].ids.equal(task.train_batches[2].ids));

  // Every epoch evaluates all 6 validation rows once, in batches of eval_batch_size (4 + 2).
  ASSERT_EQ(task.eval_batches.size(), 6u);
  for (std::size_t b = 0; b < 6; b += 2) {
    EXPECT_TRUE(task.eval_batches[b].ids.equal(torch::arange(4, torch::kInt64)));
    EXPECT_TRUE(task.eval_batches[b + 1].ids.equal(torch::arange(4, 6, torch::kInt64)));
  }

  EXPECT_EQ(summary.epochs_done, 3);
  EXPECT_EQ(summary.global_step, 6);
  EXPECT_TRUE(summary.finished);
  // The reported metric is the task's, summed over the batches, of the final weights.
  EXPECT_NEAR(summary.val_metric, task.val_mse(), 1e-5 * std::max(1.0, task.val_mse()));
  EXPECT_TRUE(fs::exists(checkpoint_path(dir.file("run"))));
}

TEST(Trainer, TheWarmupCosineLearningRateReachesTheOptimiserEveryStep) {
  ScratchDir dir("fct-trainer");
  testing::SoloCommunicator comm;
  auto config = small_config();
  config.log_every = 1;
  config.optimizer.lr = 0.1;
  config.optimizer.momentum = 0.0;  // plain SGD: w moves by exactly the learning rate
  config.optimizer.weight_decay = 0.0;
  LearningRateProbe task;
  Trainer trainer(config, comm, options_in(dir.file("run")));
  trainer.run(task, row_source(12), row_source(4));  // 3 steps per epoch, 9 in all

  // Warm-up over the first epoch (3 steps), then cosine to 0 over the other 6.
  const WarmupCosineSchedule schedule(0.1, 3, 9);
  ASSERT_EQ(task.w_before_step.size(), 9u);
  std::vector<double> w = task.w_before_step;
  w.push_back(task.w());
  for (std::size_t step = 0; step < 9; ++step)
    EXPECT_NEAR(w[step] - w[step + 1], schedule.lr(static_cast<int64_t>(step)), 1e-6)
        << "step " << step;
  EXPECT_NEAR(w[0] - w[1], 0.1 / 3, 1e-6);  // the first step already moves the weights
  EXPECT_NEAR(w[2] - w[3], 0.1, 1e-6);      // the peak at the end of the warm-up

  // With log_every 1 each step's line carries the rate that step used.
  std::vector<nlohmann::json> steps;
  for (const auto& line : read_json_lines(dir.file("run/metrics.jsonl")))
    if (line.at("event") == "step") steps.push_back(line);
  ASSERT_EQ(steps.size(), 9u);
  for (std::size_t i = 0; i < 9; ++i) {
    EXPECT_EQ(steps[i].at("step").get<int64_t>(), static_cast<int64_t>(i + 1));
    EXPECT_EQ(steps[i].at("epoch").get<int64_t>(), static_cast<int64_t>(i / 3 + 1));
    EXPECT_DOUBLE_EQ(steps[i].at("lr").get<double>(), schedule.lr(static_cast<int64_t>(i)));
    EXPECT_DOUBLE_EQ(steps[i].at("loss").get<double>(), w[i]);  // the loss is w before the step
  }
}

TEST(Trainer, StepMetricsEveryLogEveryGlobalStepsAndOneRowPerEpoch) {
  ScratchDir dir("fct-trainer");
  testing::SoloCommunicator comm;
  const auto config = small_config();  // log_every 4, 6 steps: one step line, at step 4
  LinearTask task(synthetic_rows(10, 1), synthetic_rows(6, 2));
  Trainer trainer(config, comm, options_in(dir.file("run")));
  trainer.run(task, row_source(10), row_source(6));

  const auto lines = read_json_lines(dir.file("run/metrics.jsonl"));
  std::vector<std::string> events;
  for (const auto& line : lines)
    events.push_back(line.at("event").get<std::string>() + " " +
                     std::to_string(line.at("step").get<int64_t>()));
  // Step 4 is the second epoch's last: counted across epochs, not within one.
  EXPECT_EQ(events, (std::vector<std::string>{"epoch 2", "step 4", "epoch 4", "epoch 6"}));
  EXPECT_EQ(lines[1].at("epoch").get<int64_t>(), 2);
  for (const auto* key : {"train_loss", "train_accuracy", "val_mse", "images_per_s",
                          "epoch_seconds", "allreduce_wait_share", "lr"})
    EXPECT_TRUE(lines.back().contains(key)) << key;
  EXPECT_NEAR(lines.back().at("val_mse").get<double>(), task.val_mse(),
              1e-5 * std::max(1.0, task.val_mse()));

  const auto csv = split_lines(read_text_file(dir.file("run/metrics.csv")));
  ASSERT_EQ(csv.size(), 4u);  // the header and 3 epochs
  EXPECT_EQ(csv[0],
            "epoch,step,lr,train_loss,train_accuracy,val_mse,images_per_s,epoch_seconds,"
            "allreduce_wait_share");
  EXPECT_EQ(csv[1].rfind("1,2,", 0), 0u) << csv[1];
  EXPECT_EQ(csv[3].rfind("3,6,", 0), 0u) << csv[3];
  EXPECT_EQ(fct::testing::event_files_in(dir.file("run")).size(), 1u);  // TensorBoard's copy
}

TEST(Trainer, StoppingEarlyLeavesAResumableRunThatFinishesTheSchedule) {
  ScratchDir dir("fct-trainer");
  testing::SoloCommunicator comm;
  const auto config = small_config();
  auto options = options_in(dir.file("run"));
  options.stop_after_epochs = 1;
  {
    LinearTask task(synthetic_rows(10, 1), synthetic_rows(6, 2));
    const auto summary = Trainer(config, comm, options).run(task, row_source(10), row_source(6));
    EXPECT_EQ(summary.epochs_done, 1);
    EXPECT_EQ(summary.global_step, 2);
    EXPECT_FALSE(summary.finished);
    EXPECT_EQ(task.train_batches.size(), 2u);
  }
  options.stop_after_epochs = 0;
  options.resume = true;
  LinearTask task(synthetic_rows(10, 1), synthetic_rows(6, 2));
  const auto summary = Trainer(config, comm, options).run(task, row_source(10), row_source(6));
  EXPECT_EQ(summary.epochs_done, 3);
  EXPECT_EQ(summary.global_step, 6);
  EXPECT_TRUE(summary.finished);
  ASSERT_EQ(task.train_batches.size(), 4u);  // only epochs 2 and 3 were trained again
  EXPECT_EQ(task.train_batches.front().epoch, 1);

  // Resumed once more with nothing left: no step, but the model is still evaluated.
  LinearTask done(synthetic_rows(10, 1), synthetic_rows(6, 2));
  const auto again = Trainer(config, comm, options).run(done, row_source(10), row_source(6));
  EXPECT_TRUE(done.train_batches.empty());
  EXPECT_EQ(done.eval_batches.size(), 2u);
  EXPECT_EQ(again.global_step, 6);
  EXPECT_TRUE(again.finished);
  EXPECT_NEAR(again.val_metric, summary.val_metric, 1e-6);
}

TEST(Trainer, TheSameSeedGivesTheSameWeightsAndAnotherSeedOthers) {
  ScratchDir dir("fct-trainer");
  testing::SoloCommunicator comm;
  const auto train = [&](int64_t seed, const std::string& name) {
    auto config = small_config();
    config.seed = seed;
    LinearTask task(synthetic_rows(10, 1), synthetic_rows(6, 2));  // same data, same start
    Trainer(config, comm, options_in(dir.file(name))).run(task, row_source(10), row_source(6));
    return task.weights();
  };
  const auto first = train(3, "a");
  const auto second = train(3, "b");
  const auto other = train(4, "c");  // another shuffle of the same rows
  ASSERT_EQ(first.size(), 2u);
  bool other_differs = false;
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_TRUE(first[i].equal(second[i])) << "parameter " << i;
    if (!first[i].equal(other[i])) other_differs = true;
  }
  EXPECT_TRUE(other_differs) << "the seed did not change the order of the batches";
}

TEST(Trainer, FaultInjectionThrowsAtTheGivenGlobalStepOnTheGivenRank) {
  ScratchDir dir("fct-trainer");
  testing::SoloCommunicator comm;
  auto config = small_config();
  config.debug.fail_rank = 0;
  config.debug.fail_step = 3;  // epoch 2, its second step
  config.debug.fail_mode = config::FailMode::kThrow;
  LinearTask task(synthetic_rows(10, 1), synthetic_rows(6, 2));
  try {
    Trainer(config, comm, options_in(dir.file("run"))).run(task, row_source(10), row_source(6));
    FAIL() << "no fault was injected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fault injection: rank 0 at step 3 throws"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(task.train_batches.size(), 3u);  // steps 0, 1 and 2 ran; step 3 did not
  // The first epoch's checkpoint was written before the fault.
  EXPECT_TRUE(fs::exists(checkpoint_path(dir.file("run"))));

  // Another rank's fault is not this rank's.
  config.debug.fail_rank = 1;
  LinearTask unharmed(synthetic_rows(10, 1), synthetic_rows(6, 2));
  const auto summary = Trainer(config, comm, options_in(dir.file("other")))
                           .run(unharmed, row_source(10), row_source(6));
  EXPECT_EQ(summary.global_step, 6);
}

TEST(Trainer, ANonFiniteLossStopsTheRunNamingTheStep) {
  ScratchDir dir("fct-trainer");
  testing::SoloCommunicator comm;
  NanTask task;
  try {
    Trainer(small_config(), comm, options_in(dir.file("run")))
        .run(task, row_source(10), row_source(6));
    FAIL() << "trained on a NaN loss";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at epoch 1, step 0"), std::string::npos) << e.what();
  }
  EXPECT_EQ(task.w_before_step.size(), 1u);
}

TEST(Trainer, ABatchLargerThanTheTrainingSetIsAConfigError) {
  ScratchDir dir("fct-trainer");
  testing::SoloCommunicator comm;
  auto config = small_config();
  config.schedule.batch_size = 16;
  LearningRateProbe task;
  try {
    Trainer(config, comm, options_in(dir.file("run"))).run(task, row_source(10), row_source(6));
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("schedule.batch_size (16) is larger than the training "
                                         "set (10 samples)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(task.w_before_step.empty());
}

}  // namespace
}  // namespace fct::train
