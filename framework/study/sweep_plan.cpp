#include "framework/study/sweep_plan.h"

#include "framework/core/error.h"
#include "framework/study/registered_names.h"
#include "framework/study/run_layout.h"
#include "framework/train/run_directory.h"

namespace fct::study {
namespace {

// The file's tree without its sweep: block, and the block. Read afresh for every point: overrides
// change the tree they are applied to, and a copy (YAML::Clone) would lose the positions that
// error messages name.
std::pair<YAML::Node, YAML::Node> split_sweep_block(const std::string& config_path) {
  YAML::Node root = config::load_yaml_file(config_path);
  YAML::Node block;
  if (root.IsMap() && root["sweep"]) {
    block = root["sweep"];
    root.remove("sweep");
  }
  return {root, block};
}

}  // namespace

bool is_sweep(const std::string& config_path, const std::vector<std::string>& arguments) {
  std::vector<std::string> overrides;
  std::vector<config::SweepAxis> axes;
  config::split_multirun_arguments(arguments, overrides, axes);
  const auto [root, block] = split_sweep_block(config_path);
  return !axes.empty() || (block && !block.IsNull());
}

SweepPlan plan_sweep(const std::string& config_path, const std::vector<std::string>& arguments) {
  const YAML::Node block = split_sweep_block(config_path).second;
  const auto study_tree = [&config_path] { return split_sweep_block(config_path).first; };
  std::vector<std::string> overrides;
  std::vector<config::SweepAxis> axes;
  config::split_multirun_arguments(arguments, overrides, axes);
  const auto spec = config::merge_sweeps(config::read_sweep_block(block, config_path), axes);
  const auto points = config::expand_sweep(spec);
  if (points.empty())
    throw ConfigError(config_path +
                      ": nothing to sweep: add a sweep: block or key=a,b on the command line");

  const config::RegisteredNames names = registered_names();
  SweepPlan plan{
      config::load_config_tree<config::StudyConfig>(study_tree(), config_path, overrides, names),
      "",
      {}};
  plan.directory = sweep_directory_of(
      train::resolve_run_directory(plan.base.config.output_dir, plan.base.config.name));
  for (const auto& point : points) {
    const std::string directory =
        plan.directory + "/" +
        config::point_directory_name(point, static_cast<int64_t>(points.size()));
    std::vector<std::string> point_overrides = overrides;
    point_overrides.insert(point_overrides.end(), point.overrides.begin(), point.overrides.end());
    point_overrides.push_back("output_dir=" + directory);
    plan.points.push_back(
        {point, directory,
         config::load_config_tree<config::StudyConfig>(
             study_tree(), config_path + " [" + point.label + "]", point_overrides, names)});
  }
  return plan;
}

}  // namespace fct::study
