// The graph of a study (study_graph.h) from configs read as `fct run` reads them: the nodes a
// default study declares, by id, kind and count, and how its run directory shows them; FastFill
// and backfilling orders add their nodes; two sweep points that differ in a ψ setting share φ_old
// (one node in the graph) but not ψ nor anything that reads it; execution-only settings change no
// key while a recipe setting changes exactly the keys downstream of its stage; the training kinds
// and the run directory of a study.
#include "framework/study/study_graph.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "framework/config/config_loader.h"
#include "framework/core/error.h"
#include "framework/study/node_kinds.h"
#include "tests/graph/solo_communicator.h"
#include "tests/study_names.h"

namespace fct::study {
namespace {

using Strings = std::vector<std::string>;

constexpr const char* kRun = "/runs/graph-test";

// What the node functions need; nothing is built here.
struct Env {
  testing::SoloCommunicator comm;
  StudyOptions options;
  StageEnvironment env{comm, options};
};

config::StudyConfig study_from(const std::string& yaml, const Strings& overrides = {}) {
  return config::parse_config<config::StudyConfig>(yaml, "s.yaml", overrides,
                                                   fct::testing::study_names())
      .config;
}

const char* kStudyYaml =
    "name: graph-test\n"
    "seed: 1\n"
    "old: {classes: [0, 1]}\n";

std::map<std::string, int> kind_counts(const graph::RunNodes& run) {
  std::map<std::string, int> counts;
  for (const auto& id : run.ids) ++counts[run.nodes.at(id).kind];
  return counts;
}

// The key of every id of the study's run, in a graph of its own.
std::map<std::string, std::string> keys_of(const StageEnvironment& env,
                                           const config::StudyConfig& study) {
  graph::StageGraph graph;
  return graph.add_run(study_run_nodes(env, study, kRun));
}

TEST(StudyGraph, ADefaultStudyDeclaresFourModelsThreeStoresAndTheCompatibilityNodes) {
  Env e;
  const auto study = study_from(kStudyYaml);
  const auto run = study_run_nodes(e.env, study, kRun);
  EXPECT_EQ(run.run_directory, kRun);
  EXPECT_EQ(run.ids, (Strings{"old", "side_info", "new", "bct", "stores/old", "stores/new",
                              "stores/bct", "features", "fct", "stores/fct", "fct_si",
                              "stores/fct_si", "evaluation", "table"}));
  EXPECT_EQ(kind_counts(run), (std::map<std::string, int>{{"old", 1},
                                                          {"side_info", 1},
                                                          {"new", 1},
                                                          {"bct", 1},
                                                          {"store", 3},
                                                          {"feature_cache", 1},
                                                          {"transformation", 2},
                                                          {"transformed_store", 2},
                                                          {"evaluation", 1},
                                                          {"table", 1}}));

  // The models are shown as <role>/, the stores as stores/<name>.h5.
  for (const char* role : {"old", "side_info", "new", "bct"}) {
    const auto& links = run.nodes.at(role).links;
    ASSERT_EQ(links.size(), 1u) << role;
    EXPECT_EQ(links[0].run_path, role);
    EXPECT_EQ(links[0].artifact, "");
  }
  const auto& old_store = run.nodes.at("stores/old");
  ASSERT_EQ(old_store.links.size(), 1u);
  EXPECT_EQ(old_store.links[0].run_path, "stores/old.h5");
  EXPECT_EQ(old_store.links[0].artifact, "store.h5");
  // The old gallery carries ψ beside φ_old; the others only their model.
  EXPECT_EQ(old_store.inputs, (Strings{"old", "side_info"}));
  EXPECT_EQ(run.nodes.at("stores/new").inputs, Strings{"new"});
  EXPECT_EQ(run.nodes.at("stores/bct").inputs, Strings{"bct"});
  EXPECT_EQ(run.nodes.at("bct").inputs, Strings{"old"});
  EXPECT_EQ(run.nodes.at("evaluation").inputs,
            (Strings{"stores/old", "stores/new", "stores/bct", "stores/fct", "stores/fct_si"}));
  EXPECT_EQ(run.nodes.at("table").config, "title FCT study graph-test\n");
  EXPECT_EQ(run.nodes.at("table").inputs, Strings{"evaluation"});
}

TEST(StudyGraph, FastFillAndBackfillingOrdersAddFastFillsHAndTheCurves) {
  Env e;
  const auto study = study_from(std::string(kStudyYaml) +
                                "backfilling: {fastfill: true, orders: [random, sigma]}\n");
  const auto run = study_run_nodes(e.env, study, kRun);
  EXPECT_EQ(run.ids.size(), 19u);
  const auto counts = kind_counts(run);
  EXPECT_EQ(counts.at("transformation"), 2);
  EXPECT_EQ(counts.at("fastfill"), 2);
  EXPECT_EQ(counts.at("transformed_store"), 4);
  EXPECT_EQ(counts.at("curves"), 1);
  EXPECT_EQ(counts.at("store"), 3);
  EXPECT_EQ(run.nodes.at("curves").inputs,
            (Strings{"stores/old", "stores/new", "stores/fct", "stores/fct_si", "stores/fastfill",
                     "stores/fastfill_si"}));
  EXPECT_EQ(run.nodes.at("table").inputs, (Strings{"evaluation", "curves"}));

  // Orders alone draw curves of FCT's h; FastFill alone draws none.
  const auto orders_only = study_run_nodes(
      e.env, study_from(std::string(kStudyYaml) + "backfilling: {orders: [random]}\n"), kRun);
  EXPECT_EQ(orders_only.nodes.count("curves"), 1u);
  EXPECT_EQ(orders_only.nodes.count("fastfill"), 0u);
  const auto fastfill_only = study_run_nodes(
      e.env, study_from(std::string(kStudyYaml) + "backfilling: {fastfill: true}\n"), kRun);
  EXPECT_EQ(fastfill_only.nodes.count("curves"), 0u);
  EXPECT_EQ(fastfill_only.nodes.count("fastfill_si"), 1u);
}

TEST(StudyGraph, SweepPointsThatDifferInPsiShareTheOldModelButNotPsi) {
  Env e;
  const auto a = study_from(kStudyYaml, {"side_info.model.embedding_dim=8", "output_dir=/runs/a"});
  const auto b = study_from(kStudyYaml, {"side_info.model.embedding_dim=32", "output_dir=/runs/b"});
  ASSERT_EQ(study_run_directory(a), "/runs/a");
  const auto graph = studies_graph(e.env, {&a, &b});
  EXPECT_EQ(graph.run_directories(), (Strings{"/runs/a", "/runs/b"}));

  // What does not read ψ is one node of the graph; ψ and everything downstream of it are two.
  const std::set<std::string> shared = {"old", "new", "bct", "stores/new", "stores/bct"};
  for (const auto& id : study_run_nodes(e.env, a, "/runs/a").ids) {
    const bool same = graph.key_of("/runs/a", id) == graph.key_of("/runs/b", id);
    EXPECT_EQ(same, shared.count(id) == 1) << id;
  }
  EXPECT_EQ(graph.nodes().size(), 14u + 9u);
  const auto& old_node = graph.node(graph.key_of("/runs/a", "old"));
  ASSERT_EQ(old_node.references.size(), 2u);  // built once, shown in both runs
  EXPECT_EQ(old_node.references[0].run_directory, "/runs/a");
  EXPECT_EQ(old_node.references[1].run_directory, "/runs/b");
  EXPECT_EQ(graph.node(graph.key_of("/runs/a", "side_info")).references.size(), 1u);
}

TEST(StudyGraph, ExecutionOnlySettingsLeaveEveryKeyUnchanged) {
  Env e;
  const auto base = study_from(kStudyYaml);
  const auto keys = keys_of(e.env, base);
  ASSERT_EQ(keys.size(), 14u);
  for (const std::string& setting :
       {"dist.threads_per_rank=3", "log_every=1", "data.loader_threads=4", "dist.timeout_s=60",
        "output_dir=/runs/elsewhere", "artifacts_dir=/tmp/cache", "new.debug.fail_step=2",
        "data.cache_dir=/tmp/index-cache"}) {
    EXPECT_EQ(keys_of(e.env, study_from(kStudyYaml, {setting})), keys) << setting;
  }
  // A study's name is a title, not part of its models: only the results table changes.
  const auto renamed = keys_of(e.env, study_from(kStudyYaml, {"name=other"}));
  for (const auto& [id, key] : keys) EXPECT_EQ(renamed.at(id) == key, id != "table") << id;
}

TEST(StudyGraph, ARecipeSettingChangesTheKeysOfItsStageAndEverythingDownstream) {
  Env e;
  const auto keys = keys_of(e.env, study_from(kStudyYaml));
  const auto changed = keys_of(e.env, study_from(kStudyYaml, {"old.schedule.epochs=4"}));
  // φ_new, ψ and the new gallery do not read φ_old.
  const std::set<std::string> unchanged = {"side_info", "new", "stores/new"};
  for (const auto& [id, key] : keys)
    EXPECT_EQ(changed.at(id) == key, unchanged.count(id) == 1) << id;

  // h's recipe: only the two h, their galleries and what reads them.
  const auto h = keys_of(e.env, study_from(kStudyYaml, {"transformation.optimizer.lr=0.01"}));
  const std::set<std::string> of_h = {"fct",           "fct_si",     "stores/fct",
                                      "stores/fct_si", "evaluation", "table"};
  for (const auto& [id, key] : keys) EXPECT_EQ(h.at(id) != key, of_h.count(id) == 1) << id;
}

TEST(StudyGraph, TheTrainingKindsAreTheFourModels) {
  EXPECT_EQ(training_kinds(), (Strings{"old", "side_info", "new", "bct"}));
  for (const auto& kind : training_kinds()) EXPECT_TRUE(is_training_kind(kind)) << kind;
  for (const char* kind : {"store", "feature_cache", "transformation", "fastfill",
                           "transformed_store", "evaluation", "curves", "table", "", "Old"})
    EXPECT_FALSE(is_training_kind(kind)) << kind;
}

TEST(StudyGraph, TheRunDirectoryIsTheOutputDirOrRunsSlashName) {
  EXPECT_EQ(study_run_directory(study_from(kStudyYaml)), "runs/graph-test");
  EXPECT_EQ(study_run_directory(study_from(kStudyYaml, {"output_dir=/tmp/r"})), "/tmp/r");
}

TEST(StudyGraph, StudiesGraphHoldsEveryRunOfTheSameStudyOnce) {
  Env e;
  const auto a = study_from(kStudyYaml, {"output_dir=/runs/a"});
  const auto b = study_from(kStudyYaml, {"output_dir=/runs/b"});
  const auto graph = studies_graph(e.env, {&a, &b});
  // The same study in two run directories: the same 14 nodes, each referenced by both runs.
  EXPECT_EQ(graph.nodes().size(), 14u);
  for (const auto& node : graph.nodes()) EXPECT_EQ(node.references.size(), 2u) << node.node.kind;
}

}  // namespace
}  // namespace fct::study
