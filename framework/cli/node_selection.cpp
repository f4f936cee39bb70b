#include "framework/cli/node_selection.h"

#include "framework/core/error.h"
#include "framework/graph/artifact_cache.h"

namespace fct::cli {

std::vector<std::string> NodeSelection::keys() const {
  std::vector<std::string> keys;
  std::size_t start = 0;
  while (start < list.size()) {
    const auto comma = list.find(',', start);
    keys.push_back(list.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (const auto& key : keys)
    if (!graph::is_node_key(key))
      throw ConfigError("--nodes: '" + key + "' is not a node key (16 hex digits)");
  if (index < 0) return keys;
  if (index >= static_cast<int64_t>(keys.size()))
    throw ConfigError("--node-index " + std::to_string(index) + ": --nodes lists " +
                      std::to_string(keys.size()) + " nodes");
  return {keys[static_cast<std::size_t>(index)]};
}

void add_node_options(CLI::App& command, NodeSelection& selection) {
  command.add_option("--nodes", selection.list,
                     "build only these graph nodes (keys, comma-separated; a job of fct submit); "
                     "what they read must be in the run cache");
  command
      .add_option("--node-index", selection.index,
                  "build only the I-th node of --nodes (the task of a job array)")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace fct::cli
