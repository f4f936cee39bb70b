#include "framework/graph/stage_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace fct::graph {

void RunNodes::add(const std::string& id, StageNode node) {
  if (nodes.count(id) != 0)
    throw Error(fmt::format("stage graph of {}: node '{}' declared twice", run_directory, id));
  ids.push_back(id);
  nodes.emplace(id, std::move(node));
}

std::string node_key(const std::string& kind, const std::string& config,
                     const std::vector<std::string>& input_keys, const std::string& salt) {
  // Lengths before each field, so no two different (kind, config, inputs) read the same.
  std::string text = fmt::format("fct stage node v1\nkind {} {}\nconfig {} {}\n", kind.size(), kind,
                                 config.size(), config);
  for (const auto& key : input_keys) text += "input " + key + "\n";
  if (!salt.empty()) text += fmt::format("run {} {}\n", salt.size(), salt);
  return to_hex(fnv1a(text));
}

std::vector<std::string> dependency_order(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& edges) {
  std::map<std::string, const std::vector<std::string>*> inputs_of;
  for (const auto& [id, inputs] : edges) inputs_of[id] = &inputs;
  for (const auto& [id, inputs] : edges)
    for (const auto& input : inputs)
      if (inputs_of.count(input) == 0)
        throw Error(
            fmt::format("stage graph: node '{}' reads '{}', which no node makes", id, input));
  // Depth-first, in declaration order, so the order is stable: the one a reader expects.
  enum class Mark { kNone, kActive, kDone };
  std::map<std::string, Mark> marks;
  std::vector<std::string> order, path;
  std::function<void(const std::string&)> visit = [&](const std::string& id) {
    auto& mark = marks[id];
    if (mark == Mark::kDone) return;
    if (mark == Mark::kActive) {
      const auto start = std::find(path.begin(), path.end(), id);
      std::string cycle;
      for (auto it = start; it != path.end(); ++it) cycle += *it + " -> ";
      throw Error(fmt::format("stage graph: node '{}' depends on itself: {}{}", id, cycle, id));
    }
    mark = Mark::kActive;
    path.push_back(id);
    for (const auto& input : *inputs_of.at(id)) visit(input);
    path.pop_back();
    marks[id] = Mark::kDone;
    order.push_back(id);
  };
  for (const auto& [id, inputs] : edges) visit(id);
  return order;
}

std::map<std::string, std::string> StageGraph::add_run(const RunNodes& run) {
  std::vector<std::pair<std::string, std::vector<std::string>>> edges;
  for (const auto& id : run.ids) edges.emplace_back(id, run.nodes.at(id).inputs);
  std::vector<std::string> order;
  try {
    order = dependency_order(edges);
  } catch (const Error& e) {
    throw Error(fmt::format("{} (run {})", e.what(), run.run_directory));
  }
  std::map<std::string, std::string> keys;
  for (const auto& id : order) {
    const StageNode& node = run.nodes.at(id);
    std::vector<std::string> input_keys;
    for (const auto& input : node.inputs) input_keys.push_back(keys.at(input));
    const std::string key = node_key(node.kind, node.config, input_keys,
                                     node.cached ? std::string() : run.run_directory + "\n" + id);
    keys[id] = key;
    auto found = index_.find(key);
    if (found == index_.end()) {
      GraphNode merged;
      merged.key = key;
      merged.node = node;
      merged.input_keys = input_keys;
      found = index_.emplace(key, nodes_.size()).first;
      nodes_.push_back(std::move(merged));
    }
    nodes_[found->second].references.push_back({run.run_directory, id, node.links});
  }
  run_keys_[run.run_directory] = keys;
  return keys;
}

const GraphNode& StageGraph::node(const std::string& key) const {
  const auto found = index_.find(key);
  if (found == index_.end()) throw Error("stage graph: no node with key " + key);
  return nodes_[found->second];
}

const std::string& StageGraph::key_of(const std::string& run_directory,
                                      const std::string& id) const {
  const auto run = run_keys_.find(run_directory);
  if (run == run_keys_.end()) throw Error("stage graph: no run " + run_directory);
  const auto found = run->second.find(id);
  if (found == run->second.end())
    throw Error(fmt::format("stage graph: run {} has no node '{}'", run_directory, id));
  return found->second;
}

std::vector<std::string> StageGraph::run_directories() const {
  std::vector<std::string> runs;
  for (const auto& [run, keys] : run_keys_) runs.push_back(run);
  return runs;
}

}  // namespace fct::graph
