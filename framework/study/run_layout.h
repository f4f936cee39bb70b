// Where a study's files are, in one place: inside each node's directory of the run cache (a
// training's model.pt, a store's store.h5, the feature cache's train.h5) and where the run
// directory shows them to its users (old/, side_info/, new/, bct/, stores/<name>.h5,
// features/train.h5, results.{json,csv,md}).
#pragma once

#include <string>
#include <vector>

#include "framework/graph/stage_graph.h"

namespace fct::study {

// Files in a node's directory.
std::string model_in(const std::string& node_directory);
std::string store_in(const std::string& node_directory);
std::string feature_cache_in(const std::string& node_directory);

// How the run directory shows a node.
graph::RunLink model_link(const std::string& role);  // <role>/ → the node's directory
graph::RunLink store_link(const std::string& name);  // stores/<name>.h5 → its store.h5
graph::RunLink feature_cache_link();                 // features/train.h5
std::vector<graph::RunLink> result_links();          // results.{json,csv,md}
std::string results_json_in(const std::string& run_directory);

// A sweep's directory inside the run directory of its base study (its points, graph and summary),
// and back.
std::string sweep_directory_of(const std::string& run_directory);
bool is_sweep_directory(const std::string& directory);
std::string run_directory_of_sweep(const std::string& sweep_directory);

}  // namespace fct::study
