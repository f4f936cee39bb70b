#include "framework/train/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/train/optimizer_registry.h"
#include "tests/small_disk.h"
#include "tests/test_support.h"

namespace fct::train {
namespace {

torch::nn::Sequential small_model() {
  return torch::nn::Sequential(torch::nn::Linear(4, 8), torch::nn::BatchNorm1d(8),
                               torch::nn::ReLU(), torch::nn::Linear(8, 3));
}

TEST(Checkpoint, RoundTripRestoresWeightsOptimiserStateAndProgress) {
  testing::ScratchDir dir;
  torch::manual_seed(1);
  auto model = small_model();
  config::OptimizerConfig optimizer_config;
  auto optimizer = make_optimizer(model->parameters(), optimizer_config);
  // One step so that the momentum buffers exist.
  optimizer->zero_grad();
  model->forward(torch::randn({5, 4})).sum().backward();
  optimizer->step();
  save_checkpoint(dir.file("ckpt.pt"), *model, *optimizer, {3, 42, 0xabcdefull});

  torch::manual_seed(2);
  auto restored = small_model();
  auto restored_optimizer = make_optimizer(restored->parameters(), optimizer_config);
  const auto progress = load_checkpoint(dir.file("ckpt.pt"), *restored, *restored_optimizer);
  EXPECT_EQ(progress.epochs_done, 3);
  EXPECT_EQ(progress.global_step, 42);
  EXPECT_EQ(progress.config_hash, 0xabcdefull);
  const auto a = model->parameters();
  const auto b = restored->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
  const auto a_buffers = model->buffers();
  const auto b_buffers = restored->buffers();
  for (std::size_t i = 0; i < a_buffers.size(); ++i)
    EXPECT_TRUE(torch::equal(a_buffers[i], b_buffers[i]));

  // Same next step from the same state: the momentum buffers were restored too.
  const auto input = torch::randn({5, 4});
  optimizer->zero_grad();
  model->forward(input).sum().backward();
  optimizer->step();
  restored_optimizer->zero_grad();
  restored->forward(input).sum().backward();
  restored_optimizer->step();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::allclose(a[i], b[i]));
  EXPECT_FALSE(std::filesystem::exists(dir.file(".ckpt.pt.tmp")));
}

TEST(Checkpoint, UnreadableFileIsAnErrorNamingIt) {
  testing::ScratchDir dir;
  testing::write_text_file(dir.file("broken.pt"), "not a checkpoint");
  auto model = small_model();
  config::OptimizerConfig optimizer_config;
  auto optimizer = make_optimizer(model->parameters(), optimizer_config);
  try {
    load_checkpoint(dir.file("broken.pt"), *model, *optimizer);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.pt"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, ModelOnlyRoundTrip) {
  testing::ScratchDir dir;
  torch::manual_seed(1);
  auto model = small_model();
  save_model(dir.file("model.pt"), *model);
  torch::manual_seed(2);
  auto restored = small_model();
  load_model(dir.file("model.pt"), *restored);
  const auto a = model->parameters();
  const auto b = restored->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
}

// A checkpoint with one flipped bit in a weight is refused naming it, and loads nothing into the
// model; a cut one too.
TEST(CheckpointFault, AFlippedBitOrACutCheckpointIsRefusedNamingIt) {
  testing::ScratchDir dir;
  auto model = small_model();
  {
    torch::NoGradGuard no_grad;
    model->parameters()[0].fill_(0.75f);
  }
  config::OptimizerConfig optimizer_config;
  auto optimizer = make_optimizer(model->parameters(), optimizer_config);
  const std::string path = dir.file("ckpt.pt");
  save_checkpoint(path, *model, *optimizer, {1, 2, 3});
  std::string bytes = testing::read_text_file(path);
  const float value = 0.75f;
  const auto at = bytes.find(std::string(reinterpret_cast<const char*>(&value), sizeof value));
  ASSERT_NE(at, std::string::npos);
  const std::string original = bytes;
  bytes[at] ^= 0x01;
  testing::write_text_file(path, bytes);

  auto restored = small_model();
  const auto before = restored->parameters()[0].clone();
  auto restored_optimizer = make_optimizer(restored->parameters(), optimizer_config);
  try {
    load_checkpoint(path, *restored, *restored_optimizer);
    ADD_FAILURE() << "a damaged checkpoint loaded";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("checkpoint " + path), std::string::npos) << message;
    EXPECT_NE(message.find("fails its CRC-32 check"), std::string::npos) << message;
  }
  EXPECT_TRUE(restored->parameters()[0].equal(before));

  testing::write_text_file(path, original.substr(0, original.size() - 100));
  try {
    load_checkpoint(path, *restored, *restored_optimizer);
    ADD_FAILURE() << "a cut checkpoint loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint " + path), std::string::npos) << e.what();
  }
}

// A checkpoint written onto a disk that fills up: an error naming the checkpoint and "no space
// left", the previous checkpoint intact and loadable, no temporary left; once space is freed the
// next save works. (A small tmpfs: root only, skipped elsewhere.)
TEST(CheckpointFault, AFullDiskKeepsThePreviousCheckpointAndSavingWorksOnceSpaceIsFreed) {
  testing::ScratchDir dir;
  const testing::SmallDisk disk(dir.file("small"), "512k");
  if (!disk.mounted()) GTEST_SKIP() << disk.why();
  torch::nn::Linear model(200, 250);  // 200 KB of weights
  config::OptimizerConfig optimizer_config;
  auto optimizer = make_optimizer(model->parameters(), optimizer_config);
  const std::string path = disk.path() + "/checkpoint.pt";
  save_checkpoint(path, *model, *optimizer, {1, 10, 7});
  const auto saved = model->weight.clone();

  // Ballast leaves less room than a second copy needs (the temporary sits beside the previous).
  testing::write_text_file(disk.path() + "/ballast", std::string(200 * 1024, 'b'));
  {
    torch::NoGradGuard no_grad;
    model->weight.add_(1.0);
  }
  try {
    save_checkpoint(path, *model, *optimizer, {2, 20, 7});
    ADD_FAILURE() << "a second checkpoint fitted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("no space left"), std::string::npos) << message;
  }
  EXPECT_EQ(std::filesystem::exists(temporary_path_for(path)), false);
  torch::nn::Linear restored(200, 250);
  auto restored_optimizer = make_optimizer(restored->parameters(), optimizer_config);
  EXPECT_EQ(load_checkpoint(path, *restored, *restored_optimizer).epochs_done, 1);
  EXPECT_TRUE(restored->weight.equal(saved));

  std::filesystem::remove(disk.path() + "/ballast");
  save_checkpoint(path, *model, *optimizer, {2, 20, 7});
  EXPECT_EQ(load_checkpoint(path, *restored, *restored_optimizer).epochs_done, 2);
  EXPECT_TRUE(restored->weight.equal(model->weight));
}

}  // namespace
}  // namespace fct::train
