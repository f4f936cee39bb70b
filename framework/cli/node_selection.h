// `--nodes KEY,KEY,... [--node-index I]` of run, sweep and grid: the graph nodes one job of
// `fct submit` builds (all of the list, or the I-th: the task of a job array).
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace fct::cli {

struct NodeSelection {
  std::string list;
  int64_t index = -1;

  // The keys to build; empty when --nodes was not given. Throws fct::ConfigError for an index
  // outside the list or a key that is not 16 hex digits.
  std::vector<std::string> keys() const;
};

void add_node_options(CLI::App& command, NodeSelection& selection);

}  // namespace fct::cli
