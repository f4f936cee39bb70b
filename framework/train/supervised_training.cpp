#include "framework/train/supervised_training.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "framework/config/config_writer.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/losses/classification_loss.h"
#include "framework/models/embedding_model.h"
#include "framework/models/model_file.h"
#include "framework/models/pretrained_weights.h"
#include "framework/train/checkpoint.h"
#include "framework/train/input_report.h"
#include "framework/train/supervised_task.h"

namespace fct::train {

std::string model_path(const std::string& run_directory) {
  return run_directory + "/model.pt";
}

void write_training_summary(const std::string& run_directory, const TrainSummary& summary,
                            int world_size, nlohmann::json extra) {
  nlohmann::json record = {{"epochs_done", summary.epochs_done},
                           {"global_step", summary.global_step},
                           {"val_metric", summary.val_metric},
                           {"train_seconds", summary.train_seconds},
                           {"items_per_s", summary.images_per_s},
                           {"allreduce_wait_share", summary.allreduce_wait_share},
                           {"world_size", world_size}};
  record.update(extra);
  write_text_atomically(run_directory + "/summary.json", record.dump(2) + "\n");
}

void log_pretrained_weights(const std::string& path, const std::vector<std::string>& unused) {
  std::string keys;
  for (std::size_t i = 0; i < unused.size() && i < 8; ++i) keys += (i ? ", " : "") + unused[i];
  if (unused.size() > 8) keys += ", ...";
  spdlog::info("model: starts from the state dict {}{}", path,
               unused.empty()
                   ? std::string()
                   : " (" + std::to_string(unused.size()) + " keys unused: " + keys + ")");
}

TrainSummary train_supervised(const config::ExperimentConfig& config,
                              distributed::Communicator& comm, const TrainerOptions& options,
                              std::unique_ptr<losses::ClassificationLoss> loss) {
  if (config.model.imported())
    throw ConfigError("model: arch " + config.model.arch +
                      (config.model.frozen ? " with frozen: true" : "") +
                      " is used as it is, not trained; `fct model import` makes its model file");
  const auto train_set = data::make_dataset(config.data, config.data.train_split, &comm);
  const auto val_set = data::make_dataset(config.data, config.data.val_split, &comm);
  spdlog::info("data: {} ({} training samples, {} validation samples, {} classes)",
               config.data.name, train_set->size(), val_set->size(), train_set->num_classes());

  torch::manual_seed(static_cast<uint64_t>(config.seed));
  auto model =
      models::make_embedding_model(config.model, train_set->channels(), train_set->num_classes());
  if (!config.model.weights.empty())
    log_pretrained_weights(config.model.weights,
                           models::load_pretrained_weights(config.model.weights, model));
  int64_t parameter_count = 0;
  for (const auto& p : model->parameters()) parameter_count += p.numel();
  spdlog::info("model: {} (width {}, embedding {}, {} head), {:.2f} M parameters, on {}",
               config.model.arch, config.model.width, config.model.embedding_dim,
               config::name_of(config.model.head), parameter_count / 1e6, options.device.str());

  if (!loss) loss = losses::make_classification_loss(config.loss);
  SupervisedTask task(model, std::move(loss), options.device);
  Trainer trainer(config, comm, options);
  const TrainSummary summary = trainer.run(task, *train_set, data::train_transform(config.data),
                                           *val_set, data::eval_transform(config.data));

  const nlohmann::json inputs =
      input_report({{"train", train_set.get()}, {"val", val_set.get()}}, comm);
  if (comm.rank() == 0 && summary.finished) {
    // Classifier output j is the j-th smallest class of the subset (ClassSubset sorts).
    std::vector<int64_t> classes = config.data.classes;
    std::sort(classes.begin(), classes.end());
    if (classes.empty())
      for (int64_t c = 0; c < train_set->num_classes(); ++c) classes.push_back(c);
    save_model_file(model_path(options.run_directory), *model,
                    {models::kEmbeddingKind, config.name,
                     models::make_embedding_spec(config.model, config.data.name,
                                                 train_set->channels(), classes),
                     config::to_yaml(config)});
    write_training_summary(options.run_directory, summary, comm.size(),
                           {{"val_accuracy", summary.val_metric},
                            {"num_classes", train_set->num_classes()},
                            {"parameters", parameter_count},
                            {"inputs", inputs}});
  }
  comm.barrier();
  return summary;
}

}  // namespace fct::train
