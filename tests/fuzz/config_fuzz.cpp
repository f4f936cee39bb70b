// Config files: a study or experiment YAML with command-line overrides, and the sweep grammar of
// sweep and grid files (Note [Fuzz targets]).
#include <yaml-cpp/yaml.h>

#include "framework/config/config_loader.h"
#include "framework/config/config_reader.h"
#include "framework/config/experiment_config.h"
#include "framework/config/grid_config.h"
#include "framework/config/study_config.h"
#include "framework/config/sweep.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fct::fuzz {
namespace {

constexpr const char* kSource = "fuzzed.yaml";
constexpr std::size_t kMaxPoints = 4096;  // a sweep this large is fine, only slow to expand

// The registries' names of a full build (study/registered_names.h), listed so that this target
// does not link every registry.
config::RegisteredNames names() {
  config::RegisteredNames names;
  names
      .add("dataset",
           {"fashion_mnist", "imagenet", "places365", "vggface2", "image_folder", "image_list"})
      .add("model", {"resnet10", "resnet18", "resnet34", "resnet50", "resnet10_small",
                     "resnet18_small", "resnet34_small", "resnet50_small", "torchscript"})
      .add("loss", {"cross_entropy", "normface", "cosface", "arcface"})
      .add("optimizer", {"sgd", "adam"})
      .add("backfill order", {"random", "sigma", "distance"})
      .add("communicator", {"mpi", "nccl"});
  return names;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find('\n', begin), text.size());
    if (end > begin) lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

// A config error names the file, or the override or command-line argument it is about.
void require_config_error(const Error& error) {
  const std::string message = error.what();
  for (const char* names : {kSource, "override", "command line"})
    if (message.find(names) != std::string::npos) return;
  require_named(error, kSource);
}

}  // namespace

// Input: YAML, then optionally "--- overrides" and one override a line.
int fuzz_config(const uint8_t* data, std::size_t size) {
  static const auto registered = names();
  const auto sections =
      split_sections(std::string(reinterpret_cast<const char*>(data), size), "--- overrides");
  const auto overrides = sections.size() > 1 ? lines_of(sections[1]) : std::vector<std::string>{};
  try {
    config::parse_config<config::StudyConfig>(sections[0], kSource, overrides, registered);
  } catch (const Error& e) {
    require_config_error(e);
  }
  try {
    config::parse_config<config::ExperimentConfig>(sections[0], kSource, overrides, registered);
  } catch (const Error& e) {
    require_config_error(e);
  }
  return 0;
}

// Input: a sweep or grid file, then optionally "--- arguments" and one command-line argument a
// line (`key=a,b`, `key=range(0,4)`, ...).
int fuzz_sweep(const uint8_t* data, std::size_t size) {
  static const auto registered = names();
  const auto sections =
      split_sections(std::string(reinterpret_cast<const char*>(data), size), "--- arguments");
  const auto arguments = sections.size() > 1 ? lines_of(sections[1]) : std::vector<std::string>{};
  try {
    const YAML::Node root = config::load_yaml_text(sections[0], kSource);
    std::vector<std::string> overrides;
    std::vector<config::SweepAxis> axes;
    config::split_multirun_arguments(arguments, overrides, axes);
    const YAML::Node block = root.IsMap() ? root["sweep"] : YAML::Node();
    const auto spec = config::merge_sweeps(config::read_sweep_block(block, kSource), axes);
    std::size_t points = 1;
    for (const auto& axis : spec.axes) {
      points = spec.mode == config::SweepMode::kZip
                   ? std::max(points, axis.values.size())
                   : points * std::max<std::size_t>(axis.values.size(), 1);
      if (points > kMaxPoints) return 0;
    }
    const auto expanded = config::expand_sweep(spec);
    for (const auto& point : expanded)
      config::point_directory_name(point, static_cast<int64_t>(expanded.size()));
  } catch (const Error& e) {
    require_config_error(e);
  }
  try {
    config::parse_grid(sections[0], kSource, {}, registered);
  } catch (const Error& e) {
    require_config_error(e);
  }
  return 0;
}

}  // namespace fct::fuzz
