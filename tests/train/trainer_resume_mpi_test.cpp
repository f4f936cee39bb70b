// Runs under mpirun: a run interrupted after one epoch and resumed from its checkpoint ends with
// the same weights as the same run done in one go.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>

#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/distributed/communicator.h"
#include "framework/losses/classification_loss.h"
#include "framework/models/embedding_model.h"
#include "framework/train/supervised_task.h"
#include "framework/train/trainer.h"
#include "tests/test_support.h"

namespace fct::train {
namespace {

config::ExperimentConfig tiny_config() {
  config::ExperimentConfig config;
  config.name = "resume-test";
  config.seed = 7;
  config.data.limit = 384;
  config.model.width = 4;
  config.model.embedding_dim = 16;
  config.schedule.epochs = 3;
  config.schedule.batch_size = 96;  // divisible by 2 and 3 ranks
  config.schedule.warmup_epochs = 1;
  config.optimizer.lr = 0.05;
  return config;
}

// A directory that every rank names the same: rank 0 picks it, everyone receives it.
std::string shared_directory(const std::string& local_choice) {
  char buffer[512] = {};
  std::snprintf(buffer, sizeof buffer, "%s", local_choice.c_str());
  MPI_Bcast(buffer, sizeof buffer, MPI_CHAR, 0, MPI_COMM_WORLD);
  return buffer;
}

std::vector<torch::Tensor> train_and_collect(const config::ExperimentConfig& config,
                                             distributed::Communicator& comm,
                                             const std::string& run_directory,
                                             int64_t stop_after_epochs, bool resume) {
  const auto train_set = data::make_dataset(config.data, "train");
  const auto val_set = data::make_dataset(config.data, "test");
  torch::manual_seed(static_cast<uint64_t>(config.seed));
  auto model = models::make_embedding_model(config.model, 1, train_set->num_classes());
  SupervisedTask task(model, losses::make_classification_loss(config.loss), torch::kCPU);
  TrainerOptions options;
  options.run_directory = run_directory;
  options.resume = resume;
  options.stop_after_epochs = stop_after_epochs;
  options.show_progress = false;
  Trainer trainer(config, comm, options);
  trainer.run(task, *train_set, data::train_transform(fct::config::DataConfig{}), *val_set,
              data::eval_transform(fct::config::DataConfig{}));
  std::vector<torch::Tensor> state;
  for (const auto& p : model->parameters()) state.push_back(p.detach().clone());
  for (const auto& b : model->buffers()) state.push_back(b.detach().clone());
  return state;
}

TEST(Trainer, ResumedRunMatchesUninterruptedRun) {
  torch::set_num_threads(1);
  auto comm = distributed::make_communicator("mpi", {});
  std::unique_ptr<testing::ScratchDir> scratch;
  if (comm->rank() == 0) scratch = std::make_unique<testing::ScratchDir>("fct-resume");
  const std::string root = shared_directory(scratch ? scratch->path() : "");
  const auto config = tiny_config();

  const auto uninterrupted = train_and_collect(config, *comm, root + "/straight", 0, false);
  const auto first_part = train_and_collect(config, *comm, root + "/resumed", 1, false);
  if (comm->rank() == 0) EXPECT_TRUE(std::filesystem::exists(checkpoint_path(root + "/resumed")));
  const auto resumed = train_and_collect(config, *comm, root + "/resumed", 0, true);

  ASSERT_EQ(uninterrupted.size(), resumed.size());
  bool first_part_differs = false;
  for (std::size_t i = 0; i < uninterrupted.size(); ++i) {
    EXPECT_TRUE(torch::allclose(uninterrupted[i], resumed[i], 1e-5, 1e-6)) << "tensor " << i;
    if (!torch::allclose(uninterrupted[i], first_part[i])) first_part_differs = true;
  }
  // Guard against a vacuous pass: after one epoch the weights are not yet the final ones.
  EXPECT_TRUE(first_part_differs);
  comm->barrier();
}

}  // namespace
}  // namespace fct::train
