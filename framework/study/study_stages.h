// The stages an FCT study is made of, each one StageRunner call with its key, so that `fct run`
// (one old → new pair) and `fct grid` (many pairs sharing their models) put the same stages
// together in different layouts. A model stage trains into a directory of its own and is found
// there, done, by every later caller with the same recipe: that is how a grid trains each model
// once.
#pragma once

#include <string>
#include <vector>

#include "framework/config/study_config.h"
#include "framework/dist/communicator.h"
#include "framework/study/results_table.h"
#include "framework/study/stage.h"
#include "framework/study/study_runner.h"

namespace fct::study {

// What every stage needs: the study's shared settings (data, dist, seed, eval, h), the ranks, how
// the command runs, and the runner that numbers and skips stages.
struct StageContext {
  const config::StudyConfig& study;
  dist::Communicator& comm;
  const StudyOptions& options;
  StageRunner& runner;
};

// A model stage's identity: `name` seeds its weights and names its experiment ("old", or
// "old:resnet18-cosface" in a grid), `directory` holds its run, `label` is shown in progress lines.
struct ModelStageTarget {
  std::string name;
  std::string directory;
  std::string label;
};

// The model file a stage leaves in its directory.
std::string model_file(const std::string& stage_directory);

// Supervised φ (old or new recipe).
void supervised_model_stage(StageContext& context, const ModelStageTarget& target,
                            const config::ModelStageConfig& section);
// ψ by SimCLR on the classes the old model sees.
void side_info_model_stage(StageContext& context, const ModelStageTarget& target,
                           const std::vector<int64_t>& classes,
                           const config::SideInfoStageConfig& section);
// φ_bct: `section`'s recipe plus the influence loss through the old model's classifier.
void bct_model_stage(StageContext& context, const ModelStageTarget& target,
                     const config::ModelStageConfig& section, const std::string& old_model);

// A store of the evaluation split by one model (with ψ beside it for an old gallery).
void store_stage(StageContext& context, const std::string& label, const std::string& model,
                 const std::string& side_info_model, const std::string& store_path);

// The models and stores of one old → new pair; the BCT fields are empty when it has no BCT.
struct PairInputs {
  std::string old_model, side_info_model, new_model, bct_model;
  std::string old_store, new_store, bct_store;  // old_store carries ψ
};

// The feature cache, h without and with side-information, the galleries h backfills (all in
// `directory`), and the evaluation of every case of the protocol. context.study.new_model gives
// the classes h trains on. Returns the rows; rank 0 writes results.{json,csv,md} in `directory`.
std::vector<ResultRow> compatibility_stages(StageContext& context, const PairInputs& inputs,
                                            const std::string& directory, const std::string& title);

// One transformation h a study trains and evaluates: FCT's without and with side-information, and
// with backfilling.fastfill FastFill's two (σ head, uncertainty loss).
struct TransformationVariant {
  std::string stage;       // its directory and store name: "fct", "fct_si", "fastfill", ...
  std::string case_name;   // its results row: "new/fct+si"
  std::string curve_name;  // in curve names: "fct+si"
  std::string label;       // progress lines
  std::string description;
  bool side_info = false;
  bool uncertainty = false;
};

std::vector<TransformationVariant> transformation_variants(const config::StudyConfig& study);

// How many StageRunner calls compatibility_stages makes (for "stage i/n").
int compatibility_stage_count(const config::StudyConfig& study);

}  // namespace fct::study
