// The stages of an FCT study as graph nodes (graph/stage_graph.h), one function of one shape per
// kind: each takes the study's settings and what its node reads, and returns the node — its kind,
// its result config (what its key hashes besides its inputs) and the build that writes its
// artifacts into the directory the executor gives it. Inputs are passed to builds as the
// directories of the input nodes, in the order of StageNode::inputs.
//
//   old, new        supervised φ                     model.pt (+ checkpoint, metrics, records)
//   side_info       ψ by SimCLR                      model.pt
//   bct             φ_bct through the old classifier model.pt            ← old
//   store           the evaluation split embedded    store.h5            ← model (, ψ)
//   feature_cache   K views through φ_old, ψ, φ_new  train.h5            ← old, side_info, new
//   transformation  h (FCT's or FastFill's)          model.pt            ← old, ψ, new, stores
//                                                                         (, feature cache)
//   transformed_store  the old gallery through h     store.h5            ← h, old store
//   evaluation      every case of the protocol      rows.json           ← the stores
//   curves          backfilling curves               backfill_curves.*   ← new store, h stores
//   table           results.{json,csv,md} of a run   results.*           ← evaluation (, curves)
#pragma once

#include <string>
#include <vector>

#include "framework/config/study_config.h"
#include "framework/distributed/communicator.h"
#include "framework/graph/stage_graph.h"
#include "framework/report/results_table.h"
#include "framework/study/run_layout.h"
#include "framework/study/study_runner.h"
#include "framework/train/trainer.h"

namespace fct::study {

// What every build needs at run time: the ranks and how the command runs. Outlives the graph's
// execution.
struct StageEnvironment {
  distributed::Communicator& comm;
  const StudyOptions& options;
};

// How a training node's build runs the trainer: into its directory, resuming when the executor
// found a partial build.
train::TrainerOptions trainer_options(const StageEnvironment& env,
                                      const config::ExperimentConfig& experiment,
                                      const graph::NodeBuild& build);

// A supervised φ. `seed_name` draws its seed ("old", "new", "old:<grid name>"); the study's name
// is not part of the result.
graph::StageNode supervised_model_node(const StageEnvironment& env, const std::string& kind,
                                       const config::StudyConfig& study,
                                       const std::string& seed_name,
                                       const config::ModelStageConfig& section);
// ψ by SimCLR on `classes` (the classes the old model sees).
graph::StageNode side_info_model_node(const StageEnvironment& env, const config::StudyConfig& study,
                                      const std::vector<int64_t>& classes,
                                      const config::SideInfoStageConfig& section);
// φ_bct; input 0 is the old model.
graph::StageNode bct_model_node(const StageEnvironment& env, const config::StudyConfig& study,
                                const std::string& seed_name,
                                const config::ModelStageConfig& section, const std::string& old_id);
// The evaluation split through a model (inputs: model, and ψ when side_info_id is not empty).
graph::StageNode store_node(const StageEnvironment& env, const config::StudyConfig& study,
                            const std::string& label, const std::string& model_id,
                            const std::string& side_info_id);

// The ids of the nodes one old → new pair reads; bct ids empty when it has no BCT.
struct PairNodeIds {
  std::string old_model, side_info_model, new_model, bct_model;
  std::string old_store, new_store, bct_store;
};

// One transformation h a study trains and evaluates: FCT's without and with side-information, and
// with backfilling.fastfill FastFill's two (σ head, uncertainty loss).
struct TransformationVariant {
  std::string stage;       // its id and directory: "fct", "fct_si", "fastfill", ...
  std::string case_name;   // its results row: "new/fct+si"
  std::string curve_name;  // in curve names: "fct+si"
  std::string label;       // progress lines
  std::string description;
  bool side_info = false;
  bool uncertainty = false;
};
std::vector<TransformationVariant> transformation_variants(const config::StudyConfig& study);

// The feature cache, every h and the gallery it backfills, the evaluation of every case, the
// backfilling curves and the results table of the run directory `run` (links: features/train.h5,
// <h>/, stores/<h>.h5, backfill_curves.*; results.* written there).
void add_compatibility_nodes(graph::RunNodes& run, const StageEnvironment& env,
                             const config::StudyConfig& study, const PairNodeIds& ids,
                             const std::string& title);

// The results rows a table node wrote into its run directory.
std::vector<report::ResultRow> read_results(const std::string& run_directory);

}  // namespace fct::study
