#include "framework/train/side_info_training.h"

#include <spdlog/spdlog.h>

#include "framework/config/config_writer.h"
#include "framework/core/error.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/models/model_file.h"
#include "framework/models/pretrained_weights.h"
#include "framework/train/input_report.h"
#include "framework/train/simclr_task.h"
#include "framework/train/supervised_training.h"

namespace fct::train {

TrainSummary train_side_info(const config::ExperimentConfig& config,
                             const config::SimclrConfig& simclr, distributed::Communicator& comm,
                             const TrainerOptions& options) {
  if (config.model.imported())
    throw ConfigError("side_info.model: arch " + config.model.arch +
                      (config.model.frozen ? " with frozen: true" : "") +
                      " is used as it is, not trained by SimCLR");
  const auto train_set = data::make_dataset(config.data, config.data.train_split, &comm);
  const auto val_set = data::make_dataset(config.data, config.data.val_split, &comm);
  spdlog::info("side-info: SimCLR on {} ({} unlabelled training images), s = {}, temperature {}",
               config.data.name, train_set->size(), config.model.embedding_dim, simclr.temperature);

  torch::manual_seed(static_cast<uint64_t>(config.seed));
  models::SimclrModel model(config.model, train_set->channels(), simclr.projection_dim);
  if (!config.model.weights.empty())
    log_pretrained_weights(config.model.weights,
                           models::load_pretrained_weights(config.model.weights, model));
  SimclrTask task(model, simclr.temperature, comm, options.device);
  // Validation views are augmented like training views: the metric asks whether two views of a
  // held-out image find each other.
  const auto views = data::simclr_transform(config.data);
  Trainer trainer(config, comm, options);
  const TrainSummary summary = trainer.run(task, data::ImageBatchSource(*train_set, views),
                                           data::ImageBatchSource(*val_set, views));

  const nlohmann::json inputs =
      input_report({{"train", train_set.get()}, {"val", val_set.get()}}, comm);
  if (comm.rank() == 0 && summary.finished) {
    save_model_file(model_path(options.run_directory), *model,
                    {models::kSideInfoKind, config.name,
                     models::make_side_info_spec(config.model, config.data.name,
                                                 train_set->channels(), simclr.projection_dim),
                     config::to_yaml(config) + "---\n" + config::to_yaml(simclr)});
    write_training_summary(options.run_directory, summary, comm.size(),
                           {{"val_pair_accuracy", summary.val_metric}, {"inputs", inputs}});
  }
  comm.barrier();
  return summary;
}

}  // namespace fct::train
