// `fct run study.yaml`: the FCT study of fct-protocol.md end to end — old model, side-information
// model, new model, BCT baseline, stores of the evaluation split, the transformation h without
// and with side-information (and the feature cache feeding it), the backfilled galleries, and the
// retrieval evaluation of every case. Each stage is skipped when its outputs exist for the same
// config (stage.h), so an interrupted study resumes where it stopped.
#pragma once

#include <string>
#include <vector>

#include "framework/config/config_loader.h"
#include "framework/config/study_config.h"
#include "framework/core/provenance.h"
#include "framework/dist/communicator.h"
#include "framework/study/results_table.h"

namespace fct::study {

struct StudyOptions {
  ProvenanceInputs provenance;  // of this invocation; written next to every stage's output
  torch::Device device = torch::kCPU;
  bool show_progress = true;
  // One part of the study (a job of `fct submit`): "old", "side_info", "new", "bct" (needs old),
  // or "compatibility" (stores, h, backfills, evaluation; needs all four models). "" = all.
  std::string part;
};

// The parts a study can be run in, in the order their dependencies allow.
const std::vector<std::string>& study_parts();

struct StudyOutcome {
  std::string run_directory;
  std::vector<ResultRow> rows;
  double seconds = 0.0;  // stages run by this invocation
};

StudyOutcome run_study(const config::LoadedConfig<config::StudyConfig>& loaded,
                       dist::Communicator& comm, const StudyOptions& options);

}  // namespace fct::study
