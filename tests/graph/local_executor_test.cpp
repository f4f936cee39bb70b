// The local executor against a real run cache in a scratch directory, on one rank: nodes are built
// in dependency order into the cache and shown in their run directories; a second execution (or
// another run declaring the same nodes) builds nothing; a failed node leaves nothing under its key;
// a preempted one keeps its partial directory and resumes; a part may not build what it reads.
#include "framework/graph/local_executor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "framework/core/error.h"
#include "framework/core/preemption.h"
#include "framework/graph/artifact_cache.h"
#include "framework/graph/cache_inventory.h"
#include "tests/graph/solo_communicator.h"
#include "tests/test_support.h"

namespace fct::graph {
namespace {

namespace fs = std::filesystem;
using fct::testing::read_text_file;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;

// Records every build (kind and whether it resumed) and writes "<kind>:<inputs' contents>" as
// the node's artifact, so a reader can see what each node was built from.
struct Builds {
  std::vector<std::string> log;
  std::string fail_kind;     // this kind throws
  std::string preempt_kind;  // this kind stops as at a time limit, after writing a checkpoint
};

StageNode node(Builds& builds, const std::string& kind, const std::string& config,
               std::vector<std::string> inputs, std::vector<RunLink> links = {}) {
  StageNode n;
  n.kind = kind;
  n.config = config;
  n.inputs = std::move(inputs);
  n.label = kind + " node";
  n.links = std::move(links);
  n.resumable = kind == "old" || kind == "side_info";  // the stand-ins for trainings
  n.build = [&builds, kind](const NodeBuild& build) {
    builds.log.push_back(kind + (build.resume ? " (resume)" : ""));
    if (kind == builds.fail_kind) {
      write_text_file(build.directory + "/half.txt", "half");
      throw Error(kind + " failed on purpose");
    }
    if (kind == builds.preempt_kind) {
      write_text_file(build.directory + "/checkpoint.pt", "epoch 1");
      builds.preempt_kind.clear();  // once
      throw Preempted("preempted", "epoch 1");
    }
    std::string text = kind + ":";
    for (const auto& input : build.inputs) text += read_text_file(input + "/out.txt") + ",";
    write_text_file(build.directory + "/out.txt", text);
  };
  return n;
}

RunNodes study(Builds& builds, const std::string& run, const std::string& side_info_config) {
  RunNodes nodes;
  nodes.run_directory = run;
  nodes.add("old", node(builds, "old", "old recipe", {}, {{"old", ""}}));
  nodes.add("side_info", node(builds, "side_info", side_info_config, {}, {{"side_info", ""}}));
  nodes.add("store", node(builds, "store", "test split", {"old", "side_info"},
                          {{"stores/old.txt", "out.txt"}}));
  StageNode table = node(builds, "table", "", {"store"});
  table.cached = false;
  table.build = [&builds](const NodeBuild& build) {
    builds.log.push_back("table");
    write_text_file(build.directory + "/results.txt",
                    "from " + read_text_file(build.inputs.at(0) + "/out.txt"));
  };
  nodes.add("table", table);
  return nodes;
}

TEST(LocalExecutor, BuildsOnceInOrderShowsRunsAndReusesAcrossRuns) {
  ScratchDir dir("fct-executor");
  testing::SoloCommunicator comm;
  Builds builds;
  ExecutionOptions options;
  options.artifacts_dir = dir.file("cache");
  options.record_directory = dir.file("run1");
  {
    StageGraph graph;
    graph.add_run(study(builds, dir.file("run1"), "s=8"));
    const auto report = execute_locally(graph, comm, options);
    EXPECT_EQ(report.built, 3);
    EXPECT_EQ(report.reused, 0);
  }
  EXPECT_EQ(builds.log, (std::vector<std::string>{"old", "side_info", "store", "table"}));
  EXPECT_EQ(read_text_file(dir.file("run1/results.txt")), "from store:old:,side_info:,");
  EXPECT_TRUE(fs::is_symlink(dir.file("run1/old")));
  EXPECT_EQ(read_text_file(dir.file("run1/stores/old.txt")), "store:old:,side_info:,");
  EXPECT_EQ(read_run_manifest(dir.file("run1")).nodes.size(), 3u);  // the table is the run's own
  EXPECT_TRUE(fs::exists(dir.file("run1/graph.json")));
  EXPECT_TRUE(fs::exists(dir.file("run1/graph.svg")));

  // Again, and a second run with another ψ: only ψ and the store that reads it are built.
  builds.log.clear();
  StageGraph graph;
  graph.add_run(study(builds, dir.file("run1"), "s=8"));
  graph.add_run(study(builds, dir.file("run2"), "s=32"));
  const auto report = execute_locally(graph, comm, options);
  // run1's table (every time: it is the run's own), then run2's ψ, store and table.
  EXPECT_EQ(builds.log, (std::vector<std::string>{"table", "side_info", "store", "table"}));
  EXPECT_EQ(report.built, 2);
  EXPECT_EQ(report.reused, 3);
  EXPECT_EQ(fs::read_symlink(dir.file("run1/old")), fs::read_symlink(dir.file("run2/old")));
  const auto status = read_graph_status(dir.file("run1"));
  ASSERT_EQ(status.size(), 7u);  // old, two ψ, two stores, two tables
  for (const auto& node : status)
    EXPECT_EQ(node.state, node.kind == "table" ? BuildState::kPerRun : BuildState::kCached)
        << node.kind;
}

TEST(LocalExecutor, AFailedNodeLeavesNothingUnderItsKeyAndIsBuiltAgainFromScratch) {
  ScratchDir dir("fct-executor");
  testing::SoloCommunicator comm;
  Builds builds;
  builds.fail_kind = "store";
  ExecutionOptions options;
  options.artifacts_dir = dir.file("cache");
  StageGraph graph;
  const auto keys = graph.add_run(study(builds, dir.file("run"), "s=8"));
  EXPECT_THROW(execute_locally(graph, comm, options), Error);
  const ArtifactCache cache(options.artifacts_dir);
  EXPECT_TRUE(cache.contains("old", keys.at("old")));
  EXPECT_FALSE(cache.contains("store", keys.at("store")));
  EXPECT_FALSE(fs::exists(cache.directory("store", keys.at("store"))));
  EXPECT_FALSE(fs::exists(cache.partial_directory("store", keys.at("store"))));
  EXPECT_FALSE(fs::exists(dir.file("run/results.txt")));

  builds.fail_kind.clear();
  builds.log.clear();
  execute_locally(graph, comm, options);
  EXPECT_EQ(builds.log, (std::vector<std::string>{"store", "table"}));
  EXPECT_FALSE(fs::exists(cache.directory("store", keys.at("store")) + "/half.txt"));
}

TEST(LocalExecutor, APreemptedTrainingKeepsItsCheckpointAndResumes) {
  ScratchDir dir("fct-executor");
  testing::SoloCommunicator comm;
  Builds builds;
  builds.preempt_kind = "side_info";
  ExecutionOptions options;
  options.artifacts_dir = dir.file("cache");
  StageGraph graph;
  const auto keys = graph.add_run(study(builds, dir.file("run"), "s=8"));
  try {
    execute_locally(graph, comm, options);
    FAIL() << "not preempted";
  } catch (const Preempted& e) {
    EXPECT_EQ(e.place(), "epoch 1");
  }
  const ArtifactCache cache(options.artifacts_dir);
  EXPECT_TRUE(
      fs::exists(cache.partial_directory("side_info", keys.at("side_info")) + "/checkpoint.pt"));
  builds.log.clear();
  execute_locally(graph, comm, options);
  EXPECT_EQ(builds.log, (std::vector<std::string>{"side_info (resume)", "store", "table"}));
}

TEST(LocalExecutor, APreemptedNodeThatCannotResumeStartsAgainFromNothing) {
  ScratchDir dir("fct-executor");
  testing::SoloCommunicator comm;
  Builds builds;
  builds.preempt_kind = "store";  // not resumable: what it left is not trusted
  ExecutionOptions options;
  options.artifacts_dir = dir.file("cache");
  StageGraph graph;
  const auto keys = graph.add_run(study(builds, dir.file("run"), "s=8"));
  EXPECT_THROW(execute_locally(graph, comm, options), Preempted);
  const ArtifactCache cache(options.artifacts_dir);
  EXPECT_TRUE(fs::exists(cache.partial_directory("store", keys.at("store")) + "/checkpoint.pt"));
  builds.log.clear();
  builds.preempt_kind.clear();
  execute_locally(graph, comm, options);
  EXPECT_EQ(builds.log, (std::vector<std::string>{"store", "table"}));
  EXPECT_FALSE(fs::exists(cache.directory("store", keys.at("store")) + "/checkpoint.pt"));
}

TEST(LocalExecutor, APartBuildsOnlyItsNodesAndNamesTheMissingInput) {
  ScratchDir dir("fct-executor");
  testing::SoloCommunicator comm;
  Builds builds;
  StageGraph graph;
  graph.add_run(study(builds, dir.file("run"), "s=8"));
  ExecutionOptions options;
  options.artifacts_dir = dir.file("cache");
  options.selected = [](const GraphNode& n) { return n.node.kind == "store"; };
  options.missing_hint = [](const GraphNode& n) { return "run part " + n.node.kind + " first"; };
  try {
    execute_locally(graph, comm, options);
    FAIL() << "built a store without its models";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("old node (old "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("run part old first"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(builds.log.empty());
  options.selected = [](const GraphNode& n) {
    return n.node.kind == "old" || n.node.kind == "side_info";
  };
  execute_locally(graph, comm, options);
  // Not the store, nor the table that reads it: only what was selected and what it reads.
  EXPECT_EQ(builds.log, (std::vector<std::string>{"old", "side_info"}));
}

TEST(LocalExecutor, ADryRunReportsStatesAndWritesNothing) {
  ScratchDir dir("fct-executor");
  testing::SoloCommunicator comm;
  Builds builds;
  StageGraph graph;
  graph.add_run(study(builds, dir.file("run"), "s=8"));
  ExecutionOptions options;
  options.artifacts_dir = dir.file("cache");
  options.record_directory = dir.file("run");
  options.dry_run = true;
  const auto report = execute_locally(graph, comm, options);
  ASSERT_EQ(report.plan.size(), 4u);
  EXPECT_EQ(report.plan[0].state, BuildState::kToRun);
  EXPECT_TRUE(builds.log.empty());
  EXPECT_FALSE(fs::exists(dir.file("run")));
  EXPECT_FALSE(fs::exists(dir.file("cache")));
}

}  // namespace
}  // namespace fct::graph
