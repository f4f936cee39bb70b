#include "framework/study/study_runner.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "framework/config/config_writer.h"
#include "framework/config/result_key.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/models/model_file.h"
#include "framework/study/backfill.h"
#include "framework/study/embedding_job.h"
#include "framework/study/stage.h"
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

// Where each output of the study lives, relative to the run directory.
struct StudyLayout {
  explicit StudyLayout(std::string root) : root(std::move(root)) {}
  std::string root;
  std::string stage_dir(const std::string& stage) const { return root + "/" + stage; }
  std::string model(const std::string& stage) const { return train::model_path(stage_dir(stage)); }
  std::string store(const std::string& name) const { return root + "/stores/" + name + ".h5"; }
  std::string store_record(const std::string& name) const {
    return root + "/stores/" + name + ".stage.json";
  }
  std::string record(const std::string& stage) const { return stage_dir(stage) + "/stage.json"; }
  std::string feature_cache() const { return root + "/features/train.h5"; }
};

struct Context {
  const config::StudyConfig& study;
  dist::Communicator& comm;
  const StudyOptions& options;
  StudyLayout layout;
  StageRunner runner;
};

train::TrainerOptions trainer_options(const Context& context, const std::string& directory,
                                      const config::ExperimentConfig& experiment, bool resume) {
  train::TrainerOptions options;
  options.run_directory = directory;
  options.config_hash = fnv1a(config::result_key(experiment));
  options.resume = resume;
  options.show_progress = context.options.show_progress;
  options.device = context.options.device;
  return options;
}

void write_stage_record(const Context& context, const std::string& directory,
                        const std::string& resolved_yaml) {
  if (context.comm.rank() != 0) return;
  ProvenanceInputs provenance = context.options.provenance;
  provenance.config_hash = fnv1a(resolved_yaml);
  train::write_run_record(directory, resolved_yaml, provenance);
}

// Old, new and BCT models: supervised training, BCT with the influence loss.
void model_stage(Context& context, const std::string& stage,
                 const config::ModelStageConfig& section, const std::string& extra_key,
                 const std::function<void(const config::ExperimentConfig&,
                                          const train::TrainerOptions&)>& train) {
  const std::string directory = context.layout.stage_dir(stage);
  const auto experiment =
      config::experiment_for_stage(context.study, stage, section.classes, section.model,
                                   section.loss, section.optimizer, section.schedule, directory);
  const std::string yaml = config::to_yaml(experiment);
  context.runner.run({stage + " model",
                      context.layout.record(stage),
                      config::result_key(experiment) + extra_key,
                      {context.layout.model(stage)},
                      {train::checkpoint_path(directory)}},
                     [&](bool resume) {
                       write_stage_record(context, directory, yaml);
                       train(experiment, trainer_options(context, directory, experiment, resume));
                     });
}

std::string hash_of(const std::string& model_path) {
  return models::model_file_hash(model_path);
}

// A store of the evaluation split by one model (with ψ for the old model's gallery).
void store_stage(Context& context, const std::string& name, const std::string& model_stage,
                 const std::string& side_info_model) {
  const std::string path = context.layout.store(name);
  const std::string key = "store " + name + " " + hash_of(context.layout.model(model_stage)) + " " +
                          (side_info_model.empty() ? "" : hash_of(side_info_model)) + " " +
                          context.study.eval.split + " " + config::result_key(context.study.data);
  context.runner.run({"store " + name, context.layout.store_record(name), key, {path}, {}},
                     [&](bool) {
                       EmbeddingJob job;
                       job.model_path = context.layout.model(model_stage);
                       job.side_info_path = side_info_model;
                       job.data = context.study.data;
                       job.split = context.study.eval.split;
                       job.output_path = path;
                       job.batch_size = context.study.new_model.schedule.eval_batch_size;
                       job.device = context.options.device;
                       job.show_progress = context.options.show_progress;
                       run_embedding_job(job, context.comm);
                     });
}

}  // namespace

StudyOutcome run_study(const config::LoadedConfig<config::StudyConfig>& loaded,
                       dist::Communicator& comm, const StudyOptions& options) {
  const auto& study = loaded.config;
  const bool cached = study.transformation.transformation.feed == "cached";
  Context context{study, comm, options,
                  StudyLayout(train::resolve_run_directory(study.output_dir, study.name)),
                  StageRunner(comm, cached ? 13 : 12)};
  const auto& layout = context.layout;
  if (comm.rank() == 0) {
    ProvenanceInputs provenance = options.provenance;
    provenance.config_hash = loaded.hash;
    train::write_run_record(layout.root, loaded.resolved_yaml, provenance);
  }
  comm.barrier();

  // 1-4: the models.
  model_stage(context, "old", study.old_model, "",
              [&](const config::ExperimentConfig& experiment, const train::TrainerOptions& o) {
                train::train_supervised(experiment, comm, o);
              });
  {
    const std::string directory = layout.stage_dir("side_info");
    const auto& section = study.side_info;
    config::LossConfig unused_loss;
    const auto experiment =
        config::experiment_for_stage(study, "side_info", study.old_model.classes, section.model,
                                     unused_loss, section.optimizer, section.schedule, directory);
    const std::string simclr_yaml = "---\n" + config::to_yaml(section.simclr);
    const std::string yaml = config::to_yaml(experiment) + simclr_yaml;
    context.runner.run({"side-info model (SimCLR)",
                        layout.record("side_info"),
                        config::result_key(experiment) + simclr_yaml,
                        {layout.model("side_info")},
                        {train::checkpoint_path(directory)}},
                       [&](bool resume) {
                         write_stage_record(context, directory, yaml);
                         train::train_side_info(
                             experiment, section.simclr, comm,
                             trainer_options(context, directory, experiment, resume));
                       });
  }
  model_stage(context, "new", study.new_model, "",
              [&](const config::ExperimentConfig& experiment, const train::TrainerOptions& o) {
                train::train_supervised(experiment, comm, o);
              });
  model_stage(context, "bct", study.bct_model,
              "---\n" + config::to_yaml(study.bct) + "old model " + hash_of(layout.model("old")),
              [&](const config::ExperimentConfig& experiment, const train::TrainerOptions& o) {
                train::train_bct(experiment, study.bct, layout.model("old"), comm, o);
              });

  // 5-7: stores of the evaluation split. The old gallery carries ψ beside φ_old, as FCT stores it.
  store_stage(context, "old", "old", layout.model("side_info"));
  store_stage(context, "new", "new", "");
  store_stage(context, "bct", "bct", "");

  // 8: the feature cache of the training split (cached feed).
  const std::string inputs_key = "old " + hash_of(layout.model("old")) + " side_info " +
                                 hash_of(layout.model("side_info")) + " new " +
                                 hash_of(layout.model("new"));
  const auto& h_section = study.transformation;
  std::string cache_key;
  if (cached) {
    config::DataConfig data = study.data;
    data.classes = study.new_model.classes;
    cache_key = "features " + inputs_key + " views " +
                std::to_string(h_section.transformation.cached_views) + " seed " +
                std::to_string(study.seed) + " " + config::result_key(data);
    context.runner.run({"feature cache",
                        layout.stage_dir("features") + "/stage.json",
                        cache_key,
                        {layout.feature_cache()},
                        {}},
                       [&](bool) {
                         const auto dataset = data::make_dataset(data, data.train_split, &comm);
                         train::Encoders encoders;
                         auto old_model = models::load_embedding_model(layout.model("old"));
                         auto side_model = models::load_side_info_model(layout.model("side_info"));
                         auto new_model = models::load_embedding_model(layout.model("new"));
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
                         train::write_embeddings(comm, *dataset,
                                                 data::train_transform(data),
                                                 encoders, layout.feature_cache(),
                                                 {{"model", "feature cache"},
                                                  {"model_hash", old_model.hash},
                                                  {"side_info_model_hash", side_model.hash},
                                                  {"target_model_hash", new_model.hash},
                                                  {"config", loaded.resolved_yaml},
                                                  {"git_revision", git_revision()},
                                                  {"created", utc_timestamp()},
                                                  {"dataset", data.name},
                                                  {"split", data.train_split}},
                                                 extraction);
                       });
  }

  // 9-12: h without and with side-information, and the galleries it backfills.
  for (const bool side_info : {false, true}) {
    const std::string stage = side_info ? "fct_si" : "fct";
    const std::string directory = layout.stage_dir(stage);
    config::ModelConfig unused_model;
    config::LossConfig unused_loss;
    const auto experiment = config::experiment_for_stage(
        study, stage, study.new_model.classes, unused_model, unused_loss, h_section.optimizer,
        h_section.schedule, directory);
    const std::string h_yaml = "---\n" + config::to_yaml(h_section.transformation);
    const std::string yaml = config::to_yaml(experiment) + h_yaml;
    context.runner.run(
        {side_info ? "transformation h with side-info" : "transformation h without side-info",
         layout.record(stage),
         config::result_key(experiment) + h_yaml + inputs_key + cache_key,
         {layout.model(stage)},
         {train::checkpoint_path(directory)}},
        [&](bool resume) {
          write_stage_record(context, directory, yaml);
          train::TransformationInputsPaths paths;
          paths.old_model = layout.model("old");
          paths.side_info_model = layout.model("side_info");
          paths.new_model = layout.model("new");
          paths.feature_cache = layout.feature_cache();
          paths.val_old_store = layout.store("old");
          paths.val_new_store = layout.store("new");
          train::train_transformation(experiment, h_section.transformation, side_info, paths, comm,
                                      trainer_options(context, directory, experiment, resume));
        });
    context.runner.run(
        {"backfill " + stage,
         layout.store_record(stage),
         // The gallery's bytes too: a rebuilt old store is backfilled again.
         "backfill " + hash_of(layout.model(stage)) + " " + hash_of(layout.store("old")),
         {layout.store(stage)},
         {}},
        [&](bool) {
          BackfillJob job;
          job.transformation_path = layout.model(stage);
          job.input_path = layout.store("old");
          job.output_path = layout.store(stage);
          job.device = options.device;
          job.show_progress = options.show_progress;
          run_backfill(job, comm);
        });
  }

  // 13: every case of the protocol (query/gallery), negative flips against old/old.
  struct Case {
    const char* name;
    const char* query;
    const char* gallery;
    const char* description;
  };
  const std::vector<Case> cases = {
      {"old/old", "old", "old", "old model on both sides (before the update)"},
      {"new/new", "new", "new", "new model after a full backfill with images (upper bound)"},
      {"new/old", "new", "old", "new queries, old gallery: no compatibility"},
      {"bct/old", "bct", "old", "BCT new model against the old gallery"},
      {"bct/bct", "bct", "bct", "BCT new model on both sides"},
      {"new/fct", "new", "fct", "FCT: gallery transformed by h without side-info"},
      {"new/fct+si", "new", "fct_si", "FCT: gallery transformed by h with side-info"},
  };
  StudyOutcome outcome;
  outcome.run_directory = layout.root;
  eval::RetrievalOptions retrieval;
  retrieval.distance = eval::parse_distance(study.eval.distance);
  retrieval.block_size = study.eval.block_size;
  spdlog::info("stage {0}/{0} evaluation of {1} cases", cached ? 13 : 12, cases.size());
  const auto reference =
      eval::evaluate_retrieval(comm, load_embedding_set(layout.store("old")),
                               load_embedding_set(layout.store("old")), retrieval);
  for (const auto& c : cases) {
    const auto result =
        eval::evaluate_retrieval(comm, load_embedding_set(layout.store(c.query)),
                                 load_embedding_set(layout.store(c.gallery)), retrieval);
    ResultRow row;
    row.case_name = c.name;
    row.description = c.description;
    row.top1 = result.top1;
    row.top5 = result.top5;
    row.mAP = result.mAP;
    row.negative_flips = eval::negative_flip_rate(reference, result);
    row.queries = result.queries;
    outcome.rows.push_back(row);
  }
  if (comm.rank() == 0) write_results(layout.root, outcome.rows, "FCT study " + study.name);
  comm.barrier();
  outcome.seconds = context.runner.seconds_spent();
  return outcome;
}

}  // namespace fct::study
