#include "framework/graph/run_links.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/graph/artifact_cache.h"
#include "framework/graph/cache_inventory.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;

void replace_with_link(const fs::path& link, const fs::path& target) {
  fs::create_directories(link.parent_path());
  std::error_code error;
  const auto status = fs::symlink_status(link, error);
  if (!error && fs::exists(status) && !fs::is_symlink(status)) {
    fs::path aside = link;
    aside += ".before-cache";
    spdlog::warn("{} is from a run before the run cache: moved to {}", link.string(),
                 aside.string());
    fs::remove_all(aside);
    fs::rename(link, aside);
  }
  // A link under a temporary name, renamed over the old one: readers never see it missing.
  const fs::path temporary = temporary_path_for(link.string());
  fs::remove(temporary);
  fs::create_symlink(target, temporary);
  fs::rename(temporary, link);
}

}  // namespace

void write_run_manifest(const StageGraph& graph, const std::string& run_directory,
                        const std::string& artifacts_dir) {
  std::vector<NodeRef> nodes;
  for (const auto& node : graph.nodes()) {
    if (!node.node.cached) continue;
    for (const auto& reference : node.references)
      if (reference.run_directory == run_directory)
        nodes.push_back({node.node.kind, node.key, reference.id});
  }
  fs::create_directories(run_directory);
  write_run_manifest(run_directory, artifacts_dir, nodes);
}

void link_node(const GraphNode& node, const std::string& artifacts_dir) {
  const ArtifactCache cache(artifacts_dir);
  const fs::path directory = cache.directory(node.node.kind, node.key);
  for (const auto& reference : node.references) {
    for (const auto& link : reference.links) {
      const fs::path target = link.artifact.empty() ? directory : directory / link.artifact;
      replace_with_link(fs::path(reference.run_directory) / link.run_path, target);
    }
  }
}

}  // namespace fct::graph
