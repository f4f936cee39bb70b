#include "framework/train/transformation_training.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "framework/config/config_writer.h"
#include "framework/core/error.h"
#include "framework/data/batch_loader.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/models/model_file.h"
#include "framework/train/supervised_training.h"
#include "framework/train/transformation_task.h"

namespace fct::train {

TrainSummary train_transformation(const config::ExperimentConfig& config,
                                  const config::TransformationConfig& transformation,
                                  bool use_side_info, const TransformationInputsPaths& paths,
                                  distributed::Communicator& comm, const TrainerOptions& options) {
  auto old_model = models::load_embedding_model(paths.old_model);
  auto side_model = models::load_side_info_model(paths.side_info_model);
  auto new_model = models::load_embedding_model(paths.new_model);

  models::TransformationSpec spec;
  spec.old_dim = old_model.model->embedding_dim();
  spec.side_dim = side_model.model->side_info_dim();
  spec.new_dim = new_model.model->embedding_dim();
  spec.inner_width = transformation.inner_width;
  spec.side_info = use_side_info;
  spec.uncertainty = transformation.uncertainty;
  torch::manual_seed(static_cast<uint64_t>(config.seed));
  models::Transformation h(spec);
  int64_t parameters = 0;
  for (const auto& p : h->parameters()) parameters += p.numel();
  spdlog::info(
      "transformation h ({} side-info{}): {} -> {}, inner width {}, {:.2f} M parameters, "
      "fed {}",
      use_side_info ? "with" : "without", spec.uncertainty ? ", σ head (FastFill loss)" : "",
      spec.old_dim, spec.new_dim, spec.inner_width, parameters / 1e6,
      config::name_of(transformation.feed));
  UncertaintyTraining uncertainty;
  if (spec.uncertainty) {
    if (!new_model.model->has_classifier() && transformation.mu_disc > 0)
      throw ConfigError(
          "FastFill: transformation.mu_disc > 0 trains h through the new model's classifier, and "
          "the new model " +
          paths.new_model +
          " has none (imported from PyTorch without one); set transformation.mu_disc: 0");
    uncertainty.new_classifier = new_model.model->has_classifier()
                                     ? new_model.model->classifier()->weight.detach().clone()
                                     : torch::empty({0, spec.new_dim});
    uncertainty.weights.mu_disc = transformation.mu_disc;
    uncertainty.weights.mu_unc = transformation.mu_unc;
    uncertainty.weights.label_smoothing = transformation.label_smoothing;
  }

  // At least one epoch with BatchNorm statistics updating: frozen from the start they would be the
  // initial (0, 1), not the features' own.
  const auto freeze_epoch =
      std::max<int64_t>(1, std::llround(transformation.freeze_batchnorm_from *
                                        static_cast<double>(config.schedule.epochs)));
  const uint64_t seed = static_cast<uint64_t>(config.seed);
  Trainer trainer(config, comm, options);
  TrainSummary summary;
  if (transformation.feed == config::FeatureFeed::kCached) {
    const FeatureSources sources{old_model.hash, side_model.hash, new_model.hash};
    auto train_features =
        CachedFeatures::from_cache(paths.feature_cache, sources, seed, options.device);
    auto val_features = CachedFeatures::from_stores(paths.val_old_store, paths.val_new_store,
                                                    sources, options.device);
    const data::RowBatchSource train_rows(train_features->labels());
    const data::RowBatchSource val_rows(val_features->labels());
    TransformationTask task(h, std::move(train_features), std::move(val_features), freeze_epoch,
                            options.device, uncertainty);
    summary = trainer.run(task, train_rows, val_rows);
  } else {
    const auto train_set = data::make_dataset(config.data, config.data.train_split, &comm);
    const auto val_set = data::make_dataset(config.data, config.data.val_split, &comm);
    const auto side = use_side_info ? side_model.model : models::SimclrModel(nullptr);
    TransformationTask task(
        h, std::make_unique<ModelFeatures>(old_model.model, side, new_model.model, options.device),
        std::make_unique<ModelFeatures>(old_model.model, side, new_model.model, options.device),
        freeze_epoch, options.device, uncertainty);
    summary = trainer.run(task, *train_set, data::train_transform(config.data), *val_set,
                          data::eval_transform(config.data));
  }

  if (comm.rank() == 0 && summary.finished) {
    save_model_file(
        model_path(options.run_directory), *h,
        {models::kTransformationKind, config.name,
         models::make_transformation_spec(
             spec, old_model.hash, use_side_info ? side_model.hash : std::string(), new_model.hash),
         config::to_yaml(config) + "---\n" + config::to_yaml(transformation)});
    write_training_summary(options.run_directory, summary, comm.size(),
                           {{"val_mse", summary.val_metric}, {"parameters", parameters}});
  }
  comm.barrier();
  return summary;
}

}  // namespace fct::train
