#include "framework/train/bct_training.h"

#include <spdlog/spdlog.h>

#include "framework/core/error.h"
#include "framework/data/batch_loader.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/losses/bct_loss.h"
#include "framework/models/inference_batch.h"
#include "framework/models/model_file.h"
#include "framework/train/supervised_training.h"

namespace fct::train {

torch::Tensor class_mean_embeddings(const config::ExperimentConfig& config,
                                    models::EmbeddingModel& model, int64_t samples_per_class,
                                    distributed::Communicator& comm, torch::Device device) {
  const auto dataset = data::make_dataset(config.data, config.data.train_split, &comm);
  const int64_t classes = dataset->num_classes();
  // The first samples_per_class samples of each class, in split order, spread over the ranks.
  std::vector<int64_t> taken(static_cast<std::size_t>(classes), 0);
  std::vector<int64_t> chosen;
  for (int64_t i = 0; i < dataset->size(); ++i) {
    auto& count = taken[static_cast<std::size_t>(dataset->label(i))];
    if (samples_per_class > 0 && count >= samples_per_class) continue;
    ++count;
    chosen.push_back(i);
  }
  std::vector<int64_t> mine;
  for (std::size_t k = static_cast<std::size_t>(comm.rank()); k < chosen.size();
       k += static_cast<std::size_t>(comm.size()))
    mine.push_back(chosen[k]);

  model->to(device);
  model->eval();
  torch::NoGradGuard no_grad;
  auto sums = torch::zeros({classes, model->embedding_dim()}, torch::kFloat64);
  auto counts = torch::zeros({classes}, torch::kFloat64);
  data::LoaderOptions options;
  options.batch_size = config.schedule.eval_batch_size;
  options.threads = config.data.loader_threads;
  data::BatchLoader loader(*dataset, mine, data::eval_transform(config.data), options);
  while (auto batch = loader.next()) {
    const auto images = batch->images.to(device);
    const auto embedding =
        models::forward_in_slices(model->backbone(), images, [&](const torch::Tensor& slice) {
          return model->embed(slice);
        }).to(torch::kCPU, torch::kFloat64);
    sums.index_add_(0, batch->labels, embedding);
    counts.index_add_(0, batch->labels, torch::ones({batch->labels.size(0)}, torch::kFloat64));
  }
  comm.all_reduce(sums);
  comm.all_reduce(counts);
  for (int64_t c = 0; c < classes; ++c)
    if (counts[c].item<double>() == 0)
      throw DataError("BCT: class " + std::to_string(c) + " has no training samples for its mean");
  return (sums / counts.unsqueeze(1)).to(torch::kFloat32);
}

TrainSummary train_bct(const config::ExperimentConfig& config, const config::BctConfig& bct,
                       const std::string& old_model_path, distributed::Communicator& comm,
                       const TrainerOptions& options) {
  auto old = models::load_embedding_model(old_model_path);
  if (old.model->embedding_dim() != config.model.embedding_dim)
    throw ConfigError("BCT: the new model's embedding_dim (" +
                      std::to_string(config.model.embedding_dim) +
                      ") must equal the old model's (" +
                      std::to_string(old.model->embedding_dim()) + ", " + old_model_path + ")");
  // A model imported from PyTorch has no classifier: every row is then a class mean, BCT's
  // classifier for classes the old model never had.
  const bool old_classifier = old.model->has_classifier();
  const auto old_classes = old_classifier
                               ? losses::old_classes_as_new_labels(
                                     models::trained_classes_of(old.info), config.data.classes)
                               : std::vector<int64_t>{};
  const auto means =
      class_mean_embeddings(config, old.model, bct.prototype_samples, comm, options.device);
  const auto old_weight = old_classifier ? old.model->classifier()->weight.to(torch::kCPU)
                                         : torch::empty({0, means.size(1)});
  auto classifier = losses::extend_old_classifier(old_weight, old_classes, means);
  spdlog::info("BCT: old classifier covers {} of {} classes, the others use class means (λ = {})",
               old_classes.size(), means.size(0), bct.influence_weight);
  return train_supervised(config, comm, options,
                          std::make_unique<losses::BctInfluenceLoss>(
                              classifier, bct.influence_weight, config.loss.label_smoothing));
}

}  // namespace fct::train
