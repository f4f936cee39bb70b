// The experiment as one graph. A study, every point of a sweep and every cell of a grid are
// stage nodes — a kind (old, side_info, new, bct, store, feature_cache, transformation,
// transformed_store, evaluation, curves, table), the stage's result config and its inputs — and
// a node's key is a hash of exactly those: its kind, its result config (config::result_key, so
// settings that only change how a stage runs stay out) and the keys of its inputs, in order. Two
// nodes with the same key make the same artifacts, whichever study, sweep point or grid cell
// asked for them, so the key names their directory in the run cache (artifact_cache.h) and the
// graph holds each key once.
//
// Nodes are added under ids that are local to one run directory ("old", "stores/old",
// "fct_si"); StageGraph::add_run merges a run's nodes into the graph, keyed, and remembers for
// each run directory which node each id is, so a sweep of three points that share φ_old holds
// one φ_old node referenced by three runs. A run declares every node it reads, also those that
// another run shows (a grid cell declares the models of the grid without linking them): the
// merge makes them one.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace fct::graph {

// What a node's build sees: where to write (the node's directory, partial until published),
// whether a partial build is there to resume from, and its inputs' artifact directories in the
// order of StageNode::inputs.
struct NodeBuild {
  std::string directory;
  bool resume = false;
  std::vector<std::string> inputs;
};

// Where a run directory shows a node: `run_path` relative to the run directory, pointing at
// `artifact` inside the node's directory ("" = the directory itself).
struct RunLink {
  std::string run_path;
  std::string artifact;
};

struct StageNode {
  std::string kind;                 // lower case: old, side_info, new, bct, store, ...
  std::string config;               // the result config, as text; hashed into the key
  std::vector<std::string> inputs;  // ids of input nodes of the same run
  std::string label;                // progress lines: "old model", "store new"
  std::vector<RunLink> links;       // how the run directory shows it
  // Cached nodes live in the run cache and are built once per key. An uncached node is cheap,
  // writes into the run directory itself and runs every time (every node of a study is cached).
  bool cached = true;
  // Its build leaves a checkpoint in its partial directory that a later build resumes from after
  // a preemption (the trainings); other builds start from an empty directory.
  bool resumable = false;
  std::function<void(const NodeBuild&)> build;
};

// One run directory's nodes, by id, in the order they were declared.
struct RunNodes {
  std::string run_directory;
  std::vector<std::string> ids;
  std::map<std::string, StageNode> nodes;

  // Adds a node (its inputs may come later). Throws fct::Error naming a duplicate id.
  void add(const std::string& id, StageNode node);
};

// A node of the merged graph: one key, built once, referenced by every run that declared it.
struct GraphNode {
  std::string key;  // 16 hex digits
  StageNode node;   // as first declared
  std::vector<std::string> input_keys;
  struct Reference {
    std::string run_directory;
    std::string id;
    std::vector<RunLink> links;  // as that run declared them
  };
  std::vector<Reference> references;
  // Uncached nodes are per run (their key includes the run directory): one reference each.
};

class StageGraph {
 public:
  // Merges one run's nodes; returns the key of each of its ids. Throws fct::Error naming the
  // node whose input is missing, or the nodes of a cycle, before anything is merged.
  std::map<std::string, std::string> add_run(const RunNodes& run);

  // Nodes in an order where every input comes before the nodes that read it.
  const std::vector<GraphNode>& nodes() const { return nodes_; }
  const GraphNode& node(const std::string& key) const;
  bool contains(const std::string& key) const { return index_.count(key) != 0; }
  // The key of `id` in the run `run_directory`.
  const std::string& key_of(const std::string& run_directory, const std::string& id) const;
  std::vector<std::string> run_directories() const;

 private:
  std::vector<GraphNode> nodes_;
  std::map<std::string, std::size_t> index_;                            // key → nodes_
  std::map<std::string, std::map<std::string, std::string>> run_keys_;  // run → id → key
};

// The key of a node: kind, result config and its inputs' keys. For an uncached node the run
// directory is part of it (`salt`), since it writes there.
std::string node_key(const std::string& kind, const std::string& config,
                     const std::vector<std::string>& input_keys, const std::string& salt = "");

// A checked, general DAG for graphs assembled from elsewhere (tests, a graph read back from a
// file): ids with their input ids. Returns the ids in dependency order; throws fct::Error naming
// a node whose input is missing or a node on a cycle (with the cycle).
std::vector<std::string> dependency_order(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& edges);

}  // namespace fct::graph
