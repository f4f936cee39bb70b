// `fct run study.yaml`: the FCT study of fct-protocol.md end to end — old model, side-information
// model, new model, BCT baseline, stores of the evaluation split, the transformation h without
// and with side-information (and the feature cache feeding it), the backfilled galleries, and the
// retrieval evaluation of every case — as one stage graph (study_graph.h) run against the run
// cache (graph/artifact_cache.h): a node made before, by this study or any other, is reused; an
// interrupted study resumes where it stopped.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config_loader.h"
#include "framework/config/study_config.h"
#include "framework/core/provenance.h"
#include "framework/distributed/communicator.h"
#include "framework/graph/graph_record.h"
#include "framework/graph/local_executor.h"
#include "framework/report/results_table.h"

namespace fct::study {

struct StudyOptions {
  ProvenanceInputs provenance;  // of this invocation; written next to every stage's output
  torch::Device device = torch::kCPU;
  bool show_progress = true;
  // One part of the study (a job of `fct submit`): "old", "side_info", "new", "bct" (needs old),
  // or "compatibility" (stores, h, backfills, evaluation; needs all four models). "" = all.
  std::string part;
  // The run cache; "" = the study's artifacts_dir, else $FCT_ARTIFACTS_DIR, else
  // <run directory>/../cache.
  std::string artifacts_dir;
  // Where graph.json/graph.svg go; "" = the study's run directory (of the first, for several).
  std::string graph_directory;
  // Build only these nodes (keys; a job of `fct submit`): what they read must be in the cache.
  // Empty = the whole graph (or `part`).
  std::vector<std::string> nodes;
  // Plan only: say what is cached and what would run (StudyOutcome::plan); write nothing.
  bool dry_run = false;
};

// The parts a study can be run in, in the order their dependencies allow.
const std::vector<std::string>& study_parts();

// The run cache of a study (see StudyOptions::artifacts_dir), absolute.
std::string study_artifacts_dir(const config::StudyConfig& study);

// How a study, sweep or grid runs its graph here: the run cache, where the graph is recorded,
// dry run, and the nodes a job builds.
graph::ExecutionOptions execution_options(const StudyOptions& options,
                                          const config::StudyConfig& base,
                                          const std::string& record_directory);

struct StudyOutcome {
  std::string run_directory;
  std::vector<report::ResultRow> rows;
  double seconds = 0.0;                 // stages built by this invocation
  int built = 0;                        // nodes built (the others were reused)
  bool finished = false;                // its results table was written by this invocation
  std::vector<graph::NodeStatus> plan;  // dry runs: every node of the graph with its state
};

StudyOutcome run_study(const config::LoadedConfig<config::StudyConfig>& loaded,
                       distributed::Communicator& comm, const StudyOptions& options);

// Several studies (the points of a sweep) as one graph: every node they share is built once.
std::vector<StudyOutcome> run_studies(
    const std::vector<const config::LoadedConfig<config::StudyConfig>*>& studies,
    distributed::Communicator& comm, const StudyOptions& options);

}  // namespace fct::study
