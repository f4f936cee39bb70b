#include "framework/study/study_stages.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>

#include "framework/config/config_writer.h"
#include "framework/config/result_key.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/eval/backfill_order.h"
#include "framework/models/model_file.h"
#include "framework/store/store_reader.h"
#include "framework/study/backfill.h"
#include "framework/study/backfill_curve_report.h"
#include "framework/study/embedding_job.h"
#include "framework/study/store_evaluation.h"
#include "framework/train/bct_training.h"
#include "framework/train/checkpoint.h"
#include "framework/train/feature_extraction.h"
#include "framework/train/run_directory.h"
#include "framework/train/side_info_training.h"
#include "framework/train/supervised_training.h"
#include "framework/train/transformation_training.h"

namespace fct::study {
namespace {

train::TrainerOptions trainer_options(const StageContext& context, const std::string& directory,
                                      const config::ExperimentConfig& experiment, bool resume) {
  train::TrainerOptions options;
  options.run_directory = directory;
  options.config_hash = fnv1a(config::result_key(experiment));
  options.resume = resume;
  options.show_progress = context.options.show_progress;
  options.device = context.options.device;
  return options;
}

void write_stage_record(const StageContext& context, const std::string& directory,
                        const std::string& resolved_yaml) {
  if (context.comm.rank() != 0) return;
  ProvenanceInputs provenance = context.options.provenance;
  provenance.config_hash = fnv1a(resolved_yaml);
  train::write_run_record(directory, resolved_yaml, provenance);
}

std::string record_of(const std::string& directory) {
  return directory + "/stage.json";
}

std::string hash_of(const std::string& model_path) {
  return models::model_file_hash(model_path);
}

// A supervised stage (plain or BCT): `extra_key` holds what the recipe does not say.
void supervised_stage(StageContext& context, const ModelStageTarget& target,
                      const config::ModelStageConfig& section, const std::string& extra_key,
                      const std::function<void(const config::ExperimentConfig&,
                                               const train::TrainerOptions&)>& train) {
  auto experiment = config::experiment_for_stage(
      context.study, target.name, section.classes, section.model, section.loss, section.optimizer,
      section.schedule, target.directory);
  experiment.debug = section.debug;
  const std::string yaml = config::to_yaml(experiment);
  context.runner.run({target.label,
                      record_of(target.directory),
                      config::result_key(experiment) + extra_key,
                      {model_file(target.directory)},
                      {train::checkpoint_path(target.directory)}},
                     [&](bool resume) {
                       write_stage_record(context, target.directory, yaml);
                       train(experiment,
                             trainer_options(context, target.directory, experiment, resume));
                     });
}

// The stores' record sits beside the store: stores/old.h5 → stores/old.stage.json.
std::string store_record_of(const std::string& store_path) {
  const std::string suffix = ".h5";
  const bool h5 = store_path.size() > suffix.size() &&
                  store_path.compare(store_path.size() - suffix.size(), suffix.size(), suffix) == 0;
  return (h5 ? store_path.substr(0, store_path.size() - suffix.size()) : store_path) +
         ".stage.json";
}

}  // namespace

std::string model_file(const std::string& stage_directory) {
  return train::model_path(stage_directory);
}

void supervised_model_stage(StageContext& context, const ModelStageTarget& target,
                            const config::ModelStageConfig& section) {
  supervised_stage(
      context, target, section, "",
      [&](const config::ExperimentConfig& experiment, const train::TrainerOptions& options) {
        train::train_supervised(experiment, context.comm, options);
      });
}

void bct_model_stage(StageContext& context, const ModelStageTarget& target,
                     const config::ModelStageConfig& section, const std::string& old_model) {
  supervised_stage(
      context, target, section,
      "---\n" + config::to_yaml(context.study.bct) + "old model " + hash_of(old_model),
      [&](const config::ExperimentConfig& experiment, const train::TrainerOptions& options) {
        train::train_bct(experiment, context.study.bct, old_model, context.comm, options);
      });
}

void side_info_model_stage(StageContext& context, const ModelStageTarget& target,
                           const std::vector<int64_t>& classes,
                           const config::SideInfoStageConfig& section) {
  config::LossConfig unused_loss;
  const auto experiment =
      config::experiment_for_stage(context.study, target.name, classes, section.model, unused_loss,
                                   section.optimizer, section.schedule, target.directory);
  const std::string simclr_yaml = "---\n" + config::to_yaml(section.simclr);
  const std::string yaml = config::to_yaml(experiment) + simclr_yaml;
  context.runner.run({target.label,
                      record_of(target.directory),
                      config::result_key(experiment) + simclr_yaml,
                      {model_file(target.directory)},
                      {train::checkpoint_path(target.directory)}},
                     [&](bool resume) {
                       write_stage_record(context, target.directory, yaml);
                       train::train_side_info(
                           experiment, section.simclr, context.comm,
                           trainer_options(context, target.directory, experiment, resume));
                     });
}

void store_stage(StageContext& context, const std::string& label, const std::string& model,
                 const std::string& side_info_model, const std::string& store_path) {
  const auto& study = context.study;
  const std::string key = "store " + label + " " + hash_of(model) + " " +
                          (side_info_model.empty() ? "" : hash_of(side_info_model)) + " " +
                          study.eval.split + " " + config::result_key(study.data);
  context.runner.run({"store " + label, store_record_of(store_path), key, {store_path}, {}},
                     [&](bool) {
                       EmbeddingJob job;
                       job.model_path = model;
                       job.side_info_path = side_info_model;
                       job.data = study.data;
                       job.split = study.eval.split;
                       job.output_path = store_path;
                       job.batch_size = study.new_model.schedule.eval_batch_size;
                       job.device = context.options.device;
                       job.show_progress = context.options.show_progress;
                       run_embedding_job(job, context.comm);
                     });
}

std::vector<TransformationVariant> transformation_variants(const config::StudyConfig& study) {
  const bool uncertainty = study.transformation.transformation.uncertainty;
  std::vector<TransformationVariant> variants = {
      {"fct", "new/fct", "fct", "transformation h without side-info",
       "FCT: gallery transformed by h without side-info", false, uncertainty},
      {"fct_si", "new/fct+si", "fct+si", "transformation h with side-info",
       "FCT: gallery transformed by h with side-info", true, uncertainty}};
  if (study.backfilling.fastfill) {
    variants.push_back({"fastfill", "new/fastfill", "fastfill", "FastFill h without side-info",
                        "FastFill: gallery transformed by h with σ, without side-info", false,
                        true});
    variants.push_back({"fastfill_si", "new/fastfill+si", "fastfill+si",
                        "FastFill h with side-info",
                        "FastFill: gallery transformed by h with σ, with side-info", true, true});
  }
  return variants;
}

int compatibility_stage_count(const config::StudyConfig& study) {
  const bool cached = study.transformation.transformation.feed == "cached";
  // The feature cache, each h and its backfill, the evaluation, the backfilling curves.
  return (cached ? 1 : 0) + 2 * static_cast<int>(transformation_variants(study).size()) + 1 +
         (study.backfilling.orders.empty() ? 0 : 1);
}

std::vector<ResultRow> compatibility_stages(StageContext& context, const PairInputs& inputs,
                                            const std::string& directory,
                                            const std::string& title) {
  const auto& study = context.study;
  const auto& options = context.options;
  auto& comm = context.comm;
  const auto& h_section = study.transformation;
  const bool cached = h_section.transformation.feed == "cached";
  const std::string feature_cache = directory + "/features/train.h5";

  // The feature cache of the training split (cached feed): φ_old, ψ and φ_new of K views.
  const std::string inputs_key = "old " + hash_of(inputs.old_model) + " side_info " +
                                 hash_of(inputs.side_info_model) + " new " +
                                 hash_of(inputs.new_model);
  std::string cache_key;
  if (cached) {
    config::DataConfig data = study.data;
    data.classes = study.new_model.classes;
    cache_key = "features " + inputs_key + " views " +
                std::to_string(h_section.transformation.cached_views) + " seed " +
                std::to_string(study.seed) + " " + config::result_key(data);
    context.runner.run(
        {"feature cache", directory + "/features/stage.json", cache_key, {feature_cache}, {}},
        [&](bool) {
          const auto dataset = data::make_dataset(data, data.train_split, &comm);
          train::Encoders encoders;
          auto old_model = models::load_embedding_model(inputs.old_model);
          auto side_model = models::load_side_info_model(inputs.side_info_model);
          auto new_model = models::load_embedding_model(inputs.new_model);
          encoders.embedding = old_model.model;
          encoders.side_info = side_model.model;
          encoders.target = new_model.model;
          train::ExtractionOptions extraction;
          extraction.views = h_section.transformation.cached_views;
          extraction.batch_size = study.new_model.schedule.eval_batch_size;
          extraction.loader_threads = data.loader_threads;
          extraction.seed = static_cast<uint64_t>(study.seed);
          extraction.device = options.device;
          extraction.show_progress = options.show_progress;
          extraction.label = "feature cache";
          train::write_embeddings(comm, *dataset, data::train_transform(data), encoders,
                                  feature_cache,
                                  {{"model", "feature cache"},
                                   {"model_hash", old_model.hash},
                                   {"side_info_model_hash", side_model.hash},
                                   {"target_model_hash", new_model.hash},
                                   {"config", config::to_yaml(study)},
                                   {"git_revision", git_revision()},
                                   {"created", utc_timestamp()},
                                   {"dataset", data.name},
                                   {"split", data.train_split}},
                                  extraction);
        });
  }

  // h without and with side-information (and FastFill's, with its σ head, when asked for), and
  // the galleries each backfills.
  const auto store_of = [&](const std::string& name) {
    return directory + "/stores/" + name + ".h5";
  };
  // Kept for the whole function: the cases below point into it.
  const auto variants = transformation_variants(study);
  for (const auto& variant : variants) {
    const std::string stage_directory = directory + "/" + variant.stage;
    config::ModelConfig unused_model;
    config::LossConfig unused_loss;
    const auto experiment = config::experiment_for_stage(
        study, variant.stage, study.new_model.classes, unused_model, unused_loss,
        h_section.optimizer, h_section.schedule, stage_directory);
    config::TransformationConfig transformation = h_section.transformation;
    transformation.uncertainty = variant.uncertainty;
    const std::string h_yaml = "---\n" + config::to_yaml(transformation);
    const std::string yaml = config::to_yaml(experiment) + h_yaml;
    context.runner.run({variant.label,
                        record_of(stage_directory),
                        config::result_key(experiment) + h_yaml + inputs_key + cache_key,
                        {model_file(stage_directory)},
                        {train::checkpoint_path(stage_directory)}},
                       [&](bool resume) {
                         write_stage_record(context, stage_directory, yaml);
                         train::TransformationInputsPaths paths;
                         paths.old_model = inputs.old_model;
                         paths.side_info_model = inputs.side_info_model;
                         paths.new_model = inputs.new_model;
                         paths.feature_cache = feature_cache;
                         paths.val_old_store = inputs.old_store;
                         paths.val_new_store = inputs.new_store;
                         train::train_transformation(
                             experiment, transformation, variant.side_info, paths, comm,
                             trainer_options(context, stage_directory, experiment, resume));
                       });
    context.runner.run(
        {"backfill " + variant.stage,
         store_record_of(store_of(variant.stage)),
         // The gallery's bytes too: a rebuilt old store is backfilled again.
         "backfill " + hash_of(model_file(stage_directory)) + " " + hash_of(inputs.old_store),
         {store_of(variant.stage)},
         {}},
        [&](bool) {
          BackfillJob job;
          job.transformation_path = model_file(stage_directory);
          job.input_path = inputs.old_store;
          job.output_path = store_of(variant.stage);
          job.device = options.device;
          job.show_progress = options.show_progress;
          run_backfill(job, comm);
        });
  }

  // Every case of the protocol (query/gallery), negative flips against old/old.
  struct Case {
    const char* name;
    std::string query;
    std::string gallery;
    const char* description;
  };
  std::vector<Case> cases = {
      {"old/old", inputs.old_store, inputs.old_store,
       "old model on both sides (before the update)"},
      {"new/new", inputs.new_store, inputs.new_store,
       "new model after a full backfill with images (upper bound)"},
      {"new/old", inputs.new_store, inputs.old_store, "new queries, old gallery: no compatibility"},
  };
  if (!inputs.bct_store.empty()) {
    cases.push_back(
        {"bct/old", inputs.bct_store, inputs.old_store, "BCT new model against the old gallery"});
    cases.push_back({"bct/bct", inputs.bct_store, inputs.bct_store, "BCT new model on both sides"});
  }
  for (const auto& variant : variants)
    cases.push_back({variant.case_name.c_str(), inputs.new_store, store_of(variant.stage),
                     variant.description.c_str()});

  eval::RetrievalOptions retrieval;
  retrieval.distance = eval::parse_distance(study.eval.distance);
  retrieval.block_size = study.eval.block_size;
  context.runner.announce("evaluation");
  std::map<std::string, eval::EmbeddingSet> sets;  // each store read once
  const auto set_of = [&](const std::string& path) -> const eval::EmbeddingSet& {
    auto it = sets.find(path);
    if (it == sets.end()) it = sets.emplace(path, load_embedding_set(path)).first;
    return it->second;
  };
  const auto& old_set = set_of(inputs.old_store);
  const auto reference = eval::evaluate_retrieval(comm, old_set, old_set, retrieval);
  std::vector<ResultRow> rows;
  for (const auto& c : cases) {
    const auto& query = set_of(c.query);
    const auto& gallery = set_of(c.gallery);
    if (query.embeddings.size(1) != gallery.embeddings.size(1)) {
      // Models of different dimensions (a grid pair) cannot even be compared: no row.
      spdlog::info("{}: {}-d queries against a {}-d gallery cannot be compared, left out", c.name,
                   query.embeddings.size(1), gallery.embeddings.size(1));
      continue;
    }
    const auto result = eval::evaluate_retrieval(comm, query, gallery, retrieval);
    ResultRow row;
    row.case_name = c.name;
    row.description = c.description;
    row.top1 = result.top1;
    row.top5 = result.top5;
    row.mAP = result.mAP;
    row.negative_flips = eval::negative_flip_rate(reference, result);
    row.queries = result.queries;
    rows.push_back(row);
  }
  // Backfilling curves of every gallery h made, in every order that applies to it.
  if (!study.backfilling.orders.empty()) {
    context.runner.announce("backfilling curves");
    const auto& new_set = set_of(inputs.new_store);
    std::vector<NamedCurve> curves;
    for (const auto& variant : variants) {
      const auto& gallery = set_of(store_of(variant.stage));
      if (gallery.embeddings.size(1) != new_set.embeddings.size(1)) continue;
      for (const auto& order_name : study.backfilling.orders) {
        if (order_name == "sigma" && !variant.uncertainty) continue;  // no σ to order by
        eval::OrderInputs order_inputs;
        order_inputs.rows = gallery.embeddings.size(0);
        order_inputs.seed = static_cast<uint64_t>(study.seed);
        if (order_name == "sigma")
          order_inputs.sigma = store::StoreReader(store_of(variant.stage))
                                   .read_column(kSigmaColumn, 0, order_inputs.rows);
        order_inputs.transformed = gallery.embeddings;
        order_inputs.updated = new_set.embeddings;
        const auto order = eval::compute_backfill_order(order_name, order_inputs);
        eval::BackfillCurveOptions curve_options;
        curve_options.retrieval = retrieval;
        curve_options.steps = study.backfilling.steps;
        NamedCurve named;
        named.variant = variant.curve_name;
        named.order = order_name;
        named.description =
            fmt::format("backfilling AUC ({} points): {}", study.backfilling.steps + 1,
                        eval::backfill_orders().get(order_name).description);
        named.curve = eval::evaluate_backfill_curve(comm, new_set, gallery, new_set, order,
                                                    curve_options, &reference);
        spdlog::info("backfilling curve {}: AUC top-1 {:.2f}, mAP {:.2f}", named.name(),
                     named.curve.auc_top1(), named.curve.auc_mAP());
        rows.push_back(auc_row(named));
        curves.push_back(std::move(named));
      }
    }
    if (comm.rank() == 0) write_backfill_curves(directory, curves, title);
  }
  if (comm.rank() == 0) write_results(directory, rows, title);
  comm.barrier();
  return rows;
}

}  // namespace fct::study
