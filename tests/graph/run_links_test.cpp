// How a run directory shows the nodes it uses: its artifacts.json lists exactly the cached nodes
// that run declared (by kind, key and id) and registers the run with the cache; link_node links
// every run that references a node to the node's directory or a file in it, replaces an old link
// without a moment missing, and moves a real file or directory of an older run aside, never
// deleting it.
#include "framework/graph/run_links.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iterator>
#include <string>
#include <vector>

#include "framework/graph/artifact_cache.h"
#include "framework/graph/cache_inventory.h"
#include "tests/test_support.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;
using fct::testing::read_text_file;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;

StageNode stage(const std::string& kind, const std::string& config, std::vector<std::string> inputs,
                std::vector<RunLink> links, bool cached = true) {
  StageNode n;
  n.kind = kind;
  n.config = config;
  n.inputs = std::move(inputs);
  n.label = kind;
  n.links = std::move(links);
  n.cached = cached;
  return n;
}

// A study: the old model shown as a directory, ψ (`side_info_config` differs between runs) as its
// model file, the store as a file in a subdirectory, and the run's own table.
RunNodes study(const std::string& run, const std::string& side_info_config) {
  RunNodes nodes;
  nodes.run_directory = run;
  nodes.add("old", stage("old", "old recipe", {}, {{"old", ""}}));
  nodes.add("side_info",
            stage("side_info", side_info_config, {}, {{"side_info/model.pt", "model.pt"}}));
  nodes.add("stores/old",
            stage("store", "test split", {"old", "side_info"}, {{"stores/old.h5", "store.h5"}}));
  nodes.add("table", stage("table", "", {"stores/old"}, {}, false));
  return nodes;
}

// Every entry of `directory` whose name holds `part` (a temporary link left behind).
std::vector<std::string> entries_containing(const std::string& directory, const std::string& part) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(directory))
    if (entry.path().filename().string().find(part) != std::string::npos)
      found.push_back(entry.path().filename().string());
  return found;
}

TEST(RunLinks, ManifestListsTheRunsCachedNodesAndRegistersIt) {
  ScratchDir dir("fct-run-links");
  const std::string run1 = dir.file("run1"), run2 = dir.file("run2");
  StageGraph graph;
  const auto keys1 = graph.add_run(study(run1, "s=8"));
  const auto keys2 = graph.add_run(study(run2, "s=32"));
  write_run_manifest(graph, run1, dir.file("cache/"));

  const auto manifest = read_run_manifest(run1);
  EXPECT_EQ(manifest.artifacts_dir, dir.file("cache"));  // the cache's root, normalised
  // Not the table (the run's own), nor run2's ψ and store.
  ASSERT_EQ(manifest.nodes.size(), 3u);
  EXPECT_EQ(manifest.nodes[0].kind, "old");
  EXPECT_EQ(manifest.nodes[0].key, keys1.at("old"));
  EXPECT_EQ(manifest.nodes[0].name, "old");
  EXPECT_EQ(manifest.nodes[1].kind, "side_info");
  EXPECT_EQ(manifest.nodes[1].key, keys1.at("side_info"));
  EXPECT_EQ(manifest.nodes[2].kind, "store");
  EXPECT_EQ(manifest.nodes[2].key, keys1.at("stores/old"));
  EXPECT_EQ(manifest.nodes[2].name, "stores/old");
  EXPECT_NE(keys1.at("side_info"), keys2.at("side_info"));

  const ArtifactCache cache(dir.file("cache"));
  const auto registration = nlohmann::json::parse(read_text_file(cache.registration_path(run1)));
  EXPECT_EQ(registration["run_directory"], run1);
  EXPECT_FALSE(fs::exists(cache.registration_path(run2)));  // only the run written
  EXPECT_FALSE(fs::exists(run2));
}

TEST(RunLinks, EveryReferencingRunLinksToTheNodeOrAFileInIt) {
  ScratchDir dir("fct-run-links");
  const std::string run1 = dir.file("run1"), run2 = dir.file("run2");
  StageGraph graph;
  const auto keys = graph.add_run(study(run1, "s=8"));
  graph.add_run(study(run2, "s=8"));  // the same nodes: each referenced by both runs
  const ArtifactCache cache(dir.file("cache"));
  for (const std::string id : {"old", "side_info", "stores/old"}) {
    const GraphNode& node = graph.node(keys.at(id));
    ASSERT_EQ(node.references.size(), 2u);
    cache.begin(node.node.kind, node.key);
    write_text_file(cache.partial_directory(node.node.kind, node.key) + "/model.pt", id);
    write_text_file(cache.partial_directory(node.node.kind, node.key) + "/store.h5", id);
    cache.publish(node.node.kind, node.key, nlohmann::json::object());
    link_node(node, dir.file("cache"));
  }
  for (const auto& run : {run1, run2}) {
    EXPECT_TRUE(fs::is_symlink(run + "/old"));
    EXPECT_EQ(fs::read_symlink(run + "/old"), fs::path(cache.directory("old", keys.at("old"))));
    EXPECT_EQ(read_text_file(run + "/old/model.pt"), "old");
    EXPECT_EQ(fs::read_symlink(run + "/side_info/model.pt"),
              fs::path(cache.directory("side_info", keys.at("side_info")) + "/model.pt"));
    EXPECT_TRUE(fs::is_directory(fs::symlink_status(run + "/side_info")));  // a real directory
    EXPECT_EQ(read_text_file(run + "/stores/old.h5"), "stores/old");
    EXPECT_TRUE(entries_containing(run + "/stores", ".tmp").empty());
  }
  // A node without links (the table) shows nothing.
  link_node(graph.node(graph.key_of(run1, "table")), dir.file("cache"));
  EXPECT_EQ(std::distance(fs::directory_iterator(run1), fs::directory_iterator()), 3);
}

TEST(RunLinks, AnOldLinkIsReplaced) {
  ScratchDir dir("fct-run-links");
  const std::string run = dir.file("run");
  StageGraph graph;
  const auto keys = graph.add_run(study(run, "s=8"));
  fs::create_directories(run + "/stores");
  fs::create_symlink(dir.file("elsewhere.h5"), run + "/stores/old.h5");
  const GraphNode& store = graph.node(keys.at("stores/old"));
  link_node(store, dir.file("cache"));
  const ArtifactCache cache(dir.file("cache"));
  EXPECT_EQ(fs::read_symlink(run + "/stores/old.h5"),
            fs::path(cache.directory("store", store.key) + "/store.h5"));
  // A link is not a run's own file: nothing is moved aside, and no temporary stays.
  EXPECT_FALSE(fs::exists(fs::symlink_status(run + "/stores/old.h5.before-cache")));
  EXPECT_EQ(std::distance(fs::directory_iterator(run + "/stores"), fs::directory_iterator()), 1);
}

TEST(RunLinks, ARealFileOrDirectoryIsMovedAsideNotDeleted) {
  ScratchDir dir("fct-run-links");
  const std::string run = dir.file("run");
  StageGraph graph;
  const auto keys = graph.add_run(study(run, "s=8"));
  // A run written before the run cache: its store a file, its old model a directory.
  fs::create_directories(run + "/stores");
  fs::create_directories(run + "/old");
  write_text_file(run + "/stores/old.h5", "the store of before");
  write_text_file(run + "/old/model.pt", "the model of before");
  // An earlier move aside is replaced by this one.
  write_text_file(run + "/stores/old.h5.before-cache", "older still");
  link_node(graph.node(keys.at("stores/old")), dir.file("cache"));
  link_node(graph.node(keys.at("old")), dir.file("cache"));

  EXPECT_TRUE(fs::is_symlink(run + "/stores/old.h5"));
  EXPECT_EQ(read_text_file(run + "/stores/old.h5.before-cache"), "the store of before");
  EXPECT_TRUE(fs::is_symlink(run + "/old"));
  EXPECT_EQ(read_text_file(run + "/old.before-cache/model.pt"), "the model of before");
  const ArtifactCache cache(dir.file("cache"));
  EXPECT_EQ(fs::read_symlink(run + "/old"), fs::path(cache.directory("old", keys.at("old"))));

  // Linking again finds links in place: what was moved aside stays as it is.
  link_node(graph.node(keys.at("stores/old")), dir.file("cache"));
  EXPECT_EQ(read_text_file(run + "/stores/old.h5.before-cache"), "the store of before");
}

}  // namespace
}  // namespace fct::graph
