// The stage graph: a node's key changes exactly when its kind, its result config or one of its
// inputs' keys changes; runs that declare the same node share it; a missing input or a cycle is
// refused with the node named.
#include "framework/graph/stage_graph.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"

namespace fct::graph {
namespace {

StageNode node(const std::string& kind, const std::string& config,
               std::vector<std::string> inputs = {}) {
  StageNode n;
  n.kind = kind;
  n.config = config;
  n.inputs = std::move(inputs);
  n.label = kind;
  return n;
}

// old → bct, old → store: the keys of one small run.
std::map<std::string, std::string> keys_of(const std::string& old_config,
                                           const std::string& bct_config,
                                           const std::string& run = "runs/a") {
  RunNodes nodes;
  nodes.run_directory = run;
  nodes.add("old", node("old", old_config));
  nodes.add("bct", node("bct", bct_config, {"old"}));
  nodes.add("stores/old", node("store", "split test", {"old"}));
  StageGraph graph;
  return graph.add_run(nodes);
}

TEST(StageGraph, AKeyChangesExactlyWithKindConfigOrAnInput) {
  const auto base = keys_of("lr 0.1", "lambda 1");
  EXPECT_EQ(base.at("old").size(), 16u);
  EXPECT_EQ(keys_of("lr 0.1", "lambda 1", "runs/elsewhere"), base);  // the run is not in a key
  // The old model's recipe: the old model and everything that reads it change.
  const auto old_changed = keys_of("lr 0.2", "lambda 1");
  EXPECT_NE(old_changed.at("old"), base.at("old"));
  EXPECT_NE(old_changed.at("bct"), base.at("bct"));
  EXPECT_NE(old_changed.at("stores/old"), base.at("stores/old"));
  // BCT's own setting: only BCT.
  const auto bct_changed = keys_of("lr 0.1", "lambda 2");
  EXPECT_EQ(bct_changed.at("old"), base.at("old"));
  EXPECT_NE(bct_changed.at("bct"), base.at("bct"));
  EXPECT_EQ(bct_changed.at("stores/old"), base.at("stores/old"));
  // The kind is part of the key; so is the order of the inputs; fields cannot run together.
  EXPECT_NE(node_key("old", "x", {}), node_key("new", "x", {}));
  EXPECT_NE(node_key("k", "c", {"a", "b"}), node_key("k", "c", {"b", "a"}));
  EXPECT_NE(node_key("ab", "c", {}), node_key("a", "bc", {}));
  EXPECT_EQ(node_key("k", "c", {"a"}), node_key("k", "c", {"a"}));
}

TEST(StageGraph, RunsThatDeclareTheSameNodeShareIt) {
  StageGraph graph;
  RunNodes first;
  first.run_directory = "runs/sweep/000";
  first.add("old", node("old", "recipe"));
  first.add("side_info", node("side_info", "s=8"));
  first.nodes.at("old").links = {{"old", ""}};
  RunNodes second = first;
  second.run_directory = "runs/sweep/001";
  second.nodes.at("side_info").config = "s=32";
  const auto a = graph.add_run(first);
  const auto b = graph.add_run(second);
  EXPECT_EQ(a.at("old"), b.at("old"));
  EXPECT_NE(a.at("side_info"), b.at("side_info"));
  ASSERT_EQ(graph.nodes().size(), 3u);  // one φ_old, two ψ
  const auto& old = graph.node(a.at("old"));
  ASSERT_EQ(old.references.size(), 2u);
  EXPECT_EQ(old.references[1].run_directory, "runs/sweep/001");
  EXPECT_EQ(old.references[1].links.size(), 1u);
  EXPECT_EQ(graph.key_of("runs/sweep/001", "side_info"), b.at("side_info"));
  EXPECT_THROW(graph.key_of("runs/sweep/002", "old"), Error);
}

TEST(StageGraph, NodesComeAfterTheirInputsWhateverTheDeclarationOrder) {
  RunNodes run;
  run.run_directory = "r";
  run.add("table", node("table", "", {"evaluation"}));
  run.add("evaluation", node("evaluation", "", {"store"}));
  run.add("store", node("store", "", {"old"}));
  run.add("old", node("old", ""));
  StageGraph graph;
  graph.add_run(run);
  std::vector<std::string> kinds;
  for (const auto& n : graph.nodes()) kinds.push_back(n.node.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{"old", "store", "evaluation", "table"}));
}

TEST(StageGraph, UncachedNodesBelongToTheirRun) {
  StageGraph graph;
  for (const char* directory : {"runs/a", "runs/b"}) {
    RunNodes run;
    run.run_directory = directory;
    run.add("old", node("old", "same"));
    run.add("table", node("table", "", {"old"}));
    run.nodes.at("table").cached = false;
    graph.add_run(run);
  }
  EXPECT_EQ(graph.nodes().size(), 3u);  // one old, a table per run
  EXPECT_NE(graph.key_of("runs/a", "table"), graph.key_of("runs/b", "table"));
}

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(StageGraph, AMissingInputOrACycleIsRefusedWithTheNodeNamed) {
  RunNodes missing;
  missing.run_directory = "runs/x";
  missing.add("bct", node("bct", "", {"old"}));
  StageGraph graph;
  const std::string no_input = error_of([&] { graph.add_run(missing); });
  EXPECT_NE(no_input.find("node 'bct' reads 'old', which no node makes"), std::string::npos)
      << no_input;
  EXPECT_NE(no_input.find("runs/x"), std::string::npos) << no_input;
  EXPECT_TRUE(graph.nodes().empty());  // nothing merged

  RunNodes cycle;
  cycle.run_directory = "runs/y";
  cycle.add("a", node("k", "", {"c"}));
  cycle.add("b", node("k", "", {"a"}));
  cycle.add("c", node("k", "", {"b"}));
  const std::string loop = error_of([&] { graph.add_run(cycle); });
  EXPECT_NE(loop.find("depends on itself: a -> c -> b -> a"), std::string::npos) << loop;

  RunNodes twice;
  twice.run_directory = "runs/z";
  twice.add("a", node("k", ""));
  EXPECT_NE(error_of([&] { twice.add("a", node("k", "")); }).find("'a' declared twice"),
            std::string::npos);
}

}  // namespace
}  // namespace fct::graph
