#include "framework/study/study_runner.h"

#include <algorithm>
#include <filesystem>

#include "framework/core/error.h"
#include "framework/graph/artifact_cache.h"
#include "framework/graph/local_executor.h"
#include "framework/study/node_kinds.h"
#include "framework/study/study_graph.h"
#include "framework/train/run_directory.h"

namespace fct::study {
namespace {

// Which nodes a part builds: each training its own; "compatibility" all the rest.
bool in_part(const std::string& part, const std::string& kind) {
  if (part.empty()) return true;
  if (part == kCompatibilityPart) return !is_training_kind(kind);
  return part == kind;
}

}  // namespace

graph::ExecutionOptions execution_options(const StudyOptions& options,
                                          const config::StudyConfig& base,
                                          const std::string& record_directory) {
  graph::ExecutionOptions execution;
  execution.artifacts_dir = options.artifacts_dir.empty()
                                ? study_artifacts_dir(base)
                                : graph::resolve_artifacts_dir(options.artifacts_dir);
  execution.record_directory = record_directory;
  execution.dry_run = options.dry_run;
  if (!options.nodes.empty()) {
    const auto nodes = options.nodes;
    execution.selected = [nodes](const graph::GraphNode& node) {
      return std::find(nodes.begin(), nodes.end(), node.key) != nodes.end();
    };
    execution.missing_hint = [](const graph::GraphNode&) {
      return std::string("the job that builds it has not succeeded (fct status RUN_DIR)");
    };
  }
  return execution;
}

const std::vector<std::string>& study_parts() {
  static const std::vector<std::string> parts = [] {
    std::vector<std::string> all = training_kinds();
    all.emplace_back(kCompatibilityPart);
    return all;
  }();
  return parts;
}

std::string study_artifacts_dir(const config::StudyConfig& study) {
  // The default sits beside the run directory (runs/cache for runs/<name>), so a study in a
  // scratch directory keeps its cache there.
  const auto run = std::filesystem::absolute(study_run_directory(study)).lexically_normal();
  return graph::resolve_artifacts_dir(study.artifacts_dir, (run.parent_path() / "cache").string());
}

std::vector<StudyOutcome> run_studies(
    const std::vector<const config::LoadedConfig<config::StudyConfig>*>& studies,
    distributed::Communicator& comm, const StudyOptions& options) {
  if (studies.empty()) return {};
  const std::string& part = options.part;
  if (!part.empty() &&
      std::find(study_parts().begin(), study_parts().end(), part) == study_parts().end())
    throw ConfigError("unknown study part '" + part +
                      "' (old, side_info, new, bct, compatibility)");
  const StageEnvironment env{comm, options};
  std::vector<StudyOutcome> outcomes;
  std::vector<const config::StudyConfig*> configs;
  for (const auto* loaded : studies) {
    const auto& study = loaded->config;
    const std::string root = study_run_directory(study);
    if (comm.rank() == 0 && !options.dry_run) {
      ProvenanceInputs provenance = options.provenance;
      provenance.config_hash = loaded->hash;
      train::write_run_record(root, loaded->resolved_yaml, provenance);
    }
    configs.push_back(&study);
    outcomes.push_back({root, {}, 0.0, 0, false, {}});
  }
  const auto graph = studies_graph(env, configs);
  comm.barrier();

  auto execution = execution_options(
      options, studies.front()->config,
      options.graph_directory.empty() ? outcomes.front().run_directory : options.graph_directory);
  if (options.nodes.empty()) {
    execution.selected = [&](const graph::GraphNode& node) {
      return in_part(part, node.node.kind);
    };
    execution.missing_hint = [](const graph::GraphNode& node) {
      const std::string needed =
          is_training_kind(node.node.kind) ? node.node.kind : kCompatibilityPart;
      return "run the study's part '" + needed + "' first (fct run ... --part " + needed + ")";
    };
  }
  const auto report = graph::execute_locally(graph, comm, execution);
  for (auto& outcome : outcomes) {
    outcome.plan = report.plan;
    outcome.seconds = report.seconds;
    outcome.built = report.built;
    const std::string& table = graph.key_of(outcome.run_directory, kTableKind);
    outcome.finished =
        !options.dry_run &&
        (options.nodes.empty()
             ? part.empty() || part == kCompatibilityPart
             : std::find(options.nodes.begin(), options.nodes.end(), table) != options.nodes.end());
    if (outcome.finished) outcome.rows = read_results(outcome.run_directory);
  }
  return outcomes;
}

StudyOutcome run_study(const config::LoadedConfig<config::StudyConfig>& loaded,
                       distributed::Communicator& comm, const StudyOptions& options) {
  return run_studies({&loaded}, comm, options).front();
}

}  // namespace fct::study
