// The study's stage nodes (study/stage_nodes.h) without training anything: what each node
// function declares (kind, result config, inputs, label, links) and which settings reach its
// config, the transformation variants, the nodes add_compatibility_nodes adds for each feed,
// baseline and backfilling setting, trainer_options, read_results, and the stage contract with
// real study nodes under graph::execute_locally on one rank (tests/graph/local_executor_test.cpp
// covers the executor with generic nodes): the results table is built once and then reused, a
// failed store build leaves nothing under its key, and every kind a study trains is one the
// executor resumes.
#include "framework/study/stage_nodes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/config_writer.h"
#include "framework/config/result_key.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/core/preemption.h"
#include "framework/graph/artifact_cache.h"
#include "framework/graph/local_executor.h"
#include "framework/report/results_table.h"
#include "framework/study/node_kinds.h"
#include "framework/study/run_layout.h"
#include "tests/graph/solo_communicator.h"
#include "tests/test_support.h"

namespace fct::study {
namespace {

namespace fs = std::filesystem;
using fct::testing::read_text_file;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;
using Strings = std::vector<std::string>;

// The environment every node function takes; nothing here builds a node that needs more.
struct Env {
  testing::SoloCommunicator comm;
  StudyOptions options;
  StageEnvironment env{comm, options};
  Env() { options.show_progress = false; }
};

config::StudyConfig small_study() {
  config::StudyConfig study;
  study.name = "stage-test";
  study.seed = 5;
  study.old_model.classes = {0, 1};
  return study;
}

std::string section_config(const config::StudyConfig& study, const std::string& seed_name,
                           const config::ModelStageConfig& section) {
  return config::result_key(config::experiment_for_stage(study, seed_name, section.classes,
                                                         section.model, section.loss,
                                                         section.optimizer, section.schedule, ""));
}

TEST(StageNodes, TrainerOptionsTrainIntoTheNodeDirectoryAndResumeWhenTheExecutorSaysSo) {
  Env ctx;
  ctx.options.show_progress = true;
  config::ExperimentConfig experiment;
  experiment.optimizer.lr = 0.3;
  const auto options =
      trainer_options(ctx.env, experiment, {"/cache/stages/old/k.partial", true, {}});
  EXPECT_EQ(options.run_directory, "/cache/stages/old/k.partial");
  EXPECT_TRUE(options.resume);
  EXPECT_TRUE(options.show_progress);
  EXPECT_EQ(options.stop_after_epochs, 0);
  EXPECT_EQ(options.device, torch::Device(torch::kCPU));
  EXPECT_EQ(options.config_hash, fnv1a(config::result_key(experiment)));
  EXPECT_FALSE(trainer_options(ctx.env, experiment, {"d", false, {}}).resume);

  // The hash a checkpoint is checked against ignores how the run executes, not what it trains.
  auto threads = experiment;
  threads.data.loader_threads = 7;
  threads.log_every = 3;
  threads.debug.fail_step = 9;
  EXPECT_EQ(trainer_options(ctx.env, threads, {"d", false, {}}).config_hash, options.config_hash);
  auto lr = experiment;
  lr.optimizer.lr = 0.4;
  EXPECT_NE(trainer_options(ctx.env, lr, {"d", false, {}}).config_hash, options.config_hash);
}

TEST(StageNodes, ASupervisedModelIsKeyedByItsRecipeAndSeedButNotTheStudyNameOrDebugKnobs) {
  Env ctx;
  const auto study = small_study();
  const auto node = supervised_model_node(ctx.env, "old", study, "old", study.old_model);
  EXPECT_EQ(node.kind, "old");
  EXPECT_EQ(node.label, "old model");
  EXPECT_TRUE(node.inputs.empty());
  EXPECT_TRUE(node.links.empty());  // the study graph says where a run shows it
  EXPECT_TRUE(node.cached);
  EXPECT_TRUE(static_cast<bool>(node.build));
  EXPECT_EQ(node.config, section_config(study, "old", study.old_model));

  const auto config_of = [&](const config::StudyConfig& s, const std::string& seed_name) {
    return supervised_model_node(ctx.env, "old", s, seed_name, s.old_model).config;
  };
  auto renamed = study;
  renamed.name = "another-study";
  renamed.output_dir = "/elsewhere";
  renamed.log_every = 1;
  renamed.dist.threads_per_rank = 4;
  renamed.old_model.debug.fail_rank = 0;
  renamed.old_model.debug.min_step_seconds = 1.0;
  EXPECT_EQ(config_of(renamed, "old"), node.config);
  // Another role draws another seed: the old and the new model must not start alike.
  EXPECT_NE(config_of(study, "new"), node.config);
  auto epochs = study;
  epochs.old_model.schedule.epochs += 1;
  EXPECT_NE(config_of(epochs, "old"), node.config);
  auto seed = study;
  seed.seed += 1;
  EXPECT_NE(config_of(seed, "old"), node.config);
  auto classes = study;
  classes.old_model.classes = {0, 1, 2};
  EXPECT_NE(config_of(classes, "old"), node.config);
}

TEST(StageNodes, SideInfoIsKeyedByItsRecipeClassesAndSimclrSettings) {
  Env ctx;
  const auto study = small_study();
  const auto node = side_info_model_node(ctx.env, study, {0, 1}, study.side_info);
  EXPECT_EQ(node.kind, "side_info");
  EXPECT_EQ(node.label, "side-info model (SimCLR)");
  EXPECT_TRUE(node.inputs.empty());
  const std::string simclr = "---\n" + config::to_yaml(study.side_info.simclr);
  ASSERT_GE(node.config.size(), simclr.size());
  EXPECT_EQ(node.config.substr(node.config.size() - simclr.size()), simclr);

  auto temperature = study;
  temperature.side_info.simclr.temperature = 0.5;
  EXPECT_NE(side_info_model_node(ctx.env, temperature, {0, 1}, temperature.side_info).config,
            node.config);
  EXPECT_NE(side_info_model_node(ctx.env, study, {0, 1, 2}, study.side_info).config, node.config);
  auto dim = study;
  dim.side_info.model.embedding_dim = 8;
  EXPECT_NE(side_info_model_node(ctx.env, dim, {0, 1}, dim.side_info).config, node.config);
  auto execution = study;
  execution.data.loader_threads = 3;
  EXPECT_EQ(side_info_model_node(ctx.env, execution, {0, 1}, execution.side_info).config,
            node.config);
}

TEST(StageNodes, BctReadsTheOldModelAndIsKeyedByItsInfluenceLoss) {
  Env ctx;
  const auto study = small_study();
  const auto node = bct_model_node(ctx.env, study, "bct", study.bct_model, "models/old/a");
  EXPECT_EQ(node.kind, "bct");
  EXPECT_EQ(node.label, "bct model");
  EXPECT_EQ(node.inputs, Strings{"models/old/a"});
  EXPECT_EQ(node.config,
            section_config(study, "bct", study.bct_model) + "---\n" + config::to_yaml(study.bct));
  auto weight = study;
  weight.bct.influence_weight = 0.5;
  EXPECT_NE(bct_model_node(ctx.env, weight, "bct", weight.bct_model, "models/old/a").config,
            node.config);
}

TEST(StageNodes, AStoreReadsItsModelAndPsiAndIsKeyedByTheSplitAndTheData) {
  Env ctx;
  const auto study = small_study();
  const auto old_store = store_node(ctx.env, study, "old", "old", "side_info");
  EXPECT_EQ(old_store.kind, "store");
  EXPECT_EQ(old_store.label, "store old");
  EXPECT_EQ(old_store.inputs, (Strings{"old", "side_info"}));
  EXPECT_EQ(old_store.config, "split test\n" + config::result_key(study.data));
  const auto new_store = store_node(ctx.env, study, "new", "new", "");
  EXPECT_EQ(new_store.inputs, Strings{"new"});
  // The model is an input, so its key (not the config) tells the stores apart.
  EXPECT_EQ(new_store.config, old_store.config);

  auto split = study;
  split.eval.split = "train";
  EXPECT_EQ(store_node(ctx.env, split, "old", "old", "").config.rfind("split train\n", 0), 0u);
  auto threads = study;
  threads.data.loader_threads = 5;
  threads.data.cache_dir = "/tmp/elsewhere";
  EXPECT_EQ(store_node(ctx.env, threads, "old", "old", "").config, old_store.config);
  auto limit = study;
  limit.data.limit = 100;
  EXPECT_NE(store_node(ctx.env, limit, "old", "old", "").config, old_store.config);
}

Strings stages_of(const std::vector<TransformationVariant>& variants) {
  Strings stages;
  for (const auto& v : variants) stages.push_back(v.stage);
  return stages;
}

TEST(StageNodes, FctTrainsTwoTransformationsAndFastFillTwoMore) {
  auto study = small_study();
  auto variants = transformation_variants(study);
  ASSERT_EQ(stages_of(variants), (Strings{"fct", "fct_si"}));
  EXPECT_EQ(variants[0].case_name, "new/fct");
  EXPECT_EQ(variants[1].case_name, "new/fct+si");
  EXPECT_EQ(variants[1].curve_name, "fct+si");
  EXPECT_FALSE(variants[0].side_info);
  EXPECT_TRUE(variants[1].side_info);
  EXPECT_FALSE(variants[0].uncertainty || variants[1].uncertainty);

  study.transformation.transformation.uncertainty = true;  // FCT's h with the σ head
  variants = transformation_variants(study);
  ASSERT_EQ(variants.size(), 2u);
  EXPECT_TRUE(variants[0].uncertainty && variants[1].uncertainty);

  study.transformation.transformation.uncertainty = false;
  study.backfilling.fastfill = true;
  variants = transformation_variants(study);
  ASSERT_EQ(stages_of(variants), (Strings{"fct", "fct_si", "fastfill", "fastfill_si"}));
  EXPECT_FALSE(variants[0].uncertainty);  // FCT's h stays as configured
  EXPECT_TRUE(variants[2].uncertainty && variants[3].uncertainty);
  EXPECT_FALSE(variants[2].side_info);
  EXPECT_TRUE(variants[3].side_info);
  EXPECT_EQ(variants[3].case_name, "new/fastfill+si");
}

const PairNodeIds kIds{"old", "side_info", "new", "", "stores/old", "stores/new", ""};

graph::RunNodes compatibility(const StageEnvironment& env, const config::StudyConfig& study,
                              const PairNodeIds& ids = kIds) {
  graph::RunNodes run;
  run.run_directory = "/runs/study";
  add_compatibility_nodes(run, env, study, ids, "Stage test");
  return run;
}

TEST(StageNodes, CompatibilityNodesWithCachedFeaturesAndNoBaseline) {
  Env ctx;
  const auto run = compatibility(ctx.env, small_study());
  EXPECT_EQ(run.ids, (Strings{"features", "fct", "stores/fct", "fct_si", "stores/fct_si",
                              "evaluation", "table"}));
  const auto& features = run.nodes.at("features");
  EXPECT_EQ(features.kind, "feature_cache");
  EXPECT_EQ(features.inputs, (Strings{"old", "side_info", "new"}));
  ASSERT_EQ(features.links.size(), 1u);
  EXPECT_EQ(features.links[0].run_path, "features/train.h5");
  EXPECT_EQ(features.config.rfind("views 4\nseed 5\n", 0), 0u) << features.config;

  const auto& fct = run.nodes.at("fct");
  EXPECT_EQ(fct.kind, "transformation");
  EXPECT_EQ(fct.inputs,
            (Strings{"old", "side_info", "new", "stores/old", "stores/new", "features"}));
  ASSERT_EQ(fct.links.size(), 1u);
  EXPECT_EQ(fct.links[0].run_path, "fct");
  EXPECT_EQ(fct.links[0].artifact, "");
  const std::string no_si = "side_info no\n", with_si = "side_info yes\n";
  EXPECT_EQ(fct.config.substr(fct.config.size() - no_si.size()), no_si);
  const auto& fct_si = run.nodes.at("fct_si").config;
  EXPECT_EQ(fct_si.substr(fct_si.size() - with_si.size()), with_si);

  const auto& gallery = run.nodes.at("stores/fct_si");
  EXPECT_EQ(gallery.kind, "transformed_store");
  EXPECT_EQ(gallery.inputs, (Strings{"fct_si", "stores/old"}));
  ASSERT_EQ(gallery.links.size(), 1u);
  EXPECT_EQ(gallery.links[0].run_path, "stores/fct_si.h5");
  EXPECT_EQ(gallery.links[0].artifact, "store.h5");

  const auto& evaluation = run.nodes.at("evaluation");
  EXPECT_EQ(evaluation.kind, "evaluation");
  EXPECT_EQ(evaluation.inputs,
            (Strings{"stores/old", "stores/new", "stores/fct", "stores/fct_si"}));
  // Each case names its query and gallery by their place among the inputs.
  EXPECT_EQ(evaluation.config,
            "distance l2\ncase old/old 0 0\ncase new/new 1 1\ncase new/old 1 0\n"
            "case new/fct 1 2\ncase new/fct+si 1 3\n");

  const auto& table = run.nodes.at(kTableKind);
  EXPECT_EQ(table.kind, "table");
  EXPECT_EQ(table.inputs, Strings{"evaluation"});
  EXPECT_EQ(table.config, "title Stage test\n");
  Strings links;
  for (const auto& link : table.links) links.push_back(link.run_path + "->" + link.artifact);
  EXPECT_EQ(links, (Strings{"results.json->results.json", "results.csv->results.csv",
                            "results.md->results.md"}));
}

TEST(StageNodes, OnTheFlyFeedingHasNoFeatureCacheAndABaselineAddsItsCases) {
  Env ctx;
  auto study = small_study();
  study.transformation.transformation.feed = config::FeatureFeed::kOnTheFly;
  study.eval.distance = config::Distance::kCosine;
  PairNodeIds ids = kIds;
  ids.bct_model = "bct";
  ids.bct_store = "stores/bct";
  const auto run = compatibility(ctx.env, study, ids);
  EXPECT_EQ(run.nodes.count("features"), 0u);
  EXPECT_EQ(run.nodes.at("fct").inputs,
            (Strings{"old", "side_info", "new", "stores/old", "stores/new"}));
  const auto& evaluation = run.nodes.at("evaluation");
  EXPECT_EQ(evaluation.inputs,
            (Strings{"stores/old", "stores/new", "stores/bct", "stores/fct", "stores/fct_si"}));
  EXPECT_EQ(evaluation.config,
            "distance cosine\ncase old/old 0 0\ncase new/new 1 1\ncase new/old 1 0\n"
            "case bct/old 2 0\ncase bct/bct 2 2\ncase new/fct 1 3\ncase new/fct+si 1 4\n");
}

TEST(StageNodes, FastFillAndOrdersAddFastFillNodesAndTheCurves) {
  Env ctx;
  auto study = small_study();
  study.backfilling.fastfill = true;
  study.backfilling.orders = {"random", "sigma"};
  study.backfilling.steps = 7;
  const auto run = compatibility(ctx.env, study);
  EXPECT_EQ(run.ids, (Strings{"features", "fct", "stores/fct", "fct_si", "stores/fct_si",
                              "fastfill", "stores/fastfill", "fastfill_si", "stores/fastfill_si",
                              "evaluation", "curves", "table"}));
  EXPECT_EQ(run.nodes.at("fct").kind, "transformation");
  EXPECT_EQ(run.nodes.at("fastfill").kind, "fastfill");
  EXPECT_EQ(run.nodes.at("fastfill_si").kind, "fastfill");
  EXPECT_EQ(run.nodes.at("stores/fastfill").kind, "transformed_store");
  // FCT's h and FastFill's differ in the σ head: their configs (and keys) differ.
  EXPECT_NE(run.nodes.at("fastfill").config, run.nodes.at("fct").config);

  const auto& curves = run.nodes.at("curves");
  EXPECT_EQ(curves.kind, "curves");
  EXPECT_EQ(curves.inputs, (Strings{"stores/old", "stores/new", "stores/fct", "stores/fct_si",
                                    "stores/fastfill", "stores/fastfill_si"}));
  EXPECT_EQ(curves.config,
            "distance l2\nsteps 7\nseed 5\norder random\norder sigma\nvariant fct \n"
            "variant fct+si \nvariant fastfill sigma\nvariant fastfill+si sigma\n");
  Strings links;
  for (const auto& link : curves.links) links.push_back(link.run_path);
  EXPECT_EQ(links, (Strings{"backfill_curves.json", "backfill_curves.csv", "backfill_curves.svg"}));
  EXPECT_EQ(run.nodes.at("table").inputs, (Strings{"evaluation", "curves"}));
}

TEST(StageNodes, ReadResultsReadsTheTableOfARunDirectory) {
  ScratchDir dir("fct-stage-nodes");
  std::vector<report::ResultRow> rows(2);
  rows[0].case_name = "old/old";
  rows[0].top1 = 81.5;
  rows[0].queries = 40;
  rows[1].case_name = "new/fct+si";
  rows[1].mAP = 12.25;
  rows[1].negative_flips = 3.5;
  report::write_results(dir.path(), rows, "T");
  const auto back = read_results(dir.path());
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].case_name, "old/old");
  EXPECT_DOUBLE_EQ(back[0].top1, 81.5);
  EXPECT_EQ(back[0].queries, 40);
  EXPECT_EQ(back[1].case_name, "new/fct+si");
  EXPECT_DOUBLE_EQ(back[1].mAP, 12.25);
  EXPECT_DOUBLE_EQ(back[1].negative_flips, 3.5);
  EXPECT_THROW(read_results(dir.file("no-such-run")), Error);
}

// A node of `kind` whose build counts itself and writes `file` with `text`.
graph::StageNode stub_node(const std::string& kind, const std::string& file,
                           const std::string& text, int& builds) {
  graph::StageNode node;
  node.kind = kind;
  node.config = kind + " stub";
  node.label = kind + " stub";
  node.build = [&builds, file, text](const graph::NodeBuild& build) {
    ++builds;
    write_text_file(build.directory + "/" + file, text);
  };
  return node;
}

std::string rows_json(const std::vector<std::string>& cases) {
  std::vector<report::ResultRow> rows;
  for (const auto& c : cases) {
    report::ResultRow row;
    row.case_name = c;
    row.top1 = 50;
    rows.push_back(row);
  }
  return report::results_json(rows).dump();
}

TEST(StageNodes, TheResultsTableIsBuiltOnceFromItsInputsAndReusedOnTheNextExecution) {
  ScratchDir dir("fct-stage-nodes");
  Env ctx;
  auto study = small_study();
  study.backfilling.orders = {"random"};
  graph::RunNodes declared;
  declared.run_directory = dir.file("run");
  add_compatibility_nodes(declared, ctx.env, study, kIds, "Stage test study");
  const graph::StageNode table = declared.nodes.at(kTableKind);

  int evaluation_builds = 0, curves_builds = 0;
  const auto run = [&] {
    graph::RunNodes nodes;
    nodes.run_directory = dir.file("run");
    nodes.add("evaluation", stub_node("evaluation", "rows.json", rows_json({"old/old", "new/fct"}),
                                      evaluation_builds));
    nodes.add("curves",
              stub_node("curves", "auc_rows.json", rows_json({"auc fct random"}), curves_builds));
    nodes.add(kTableKind, table);
    return nodes;
  };
  graph::ExecutionOptions options;
  options.artifacts_dir = dir.file("cache");
  {
    graph::StageGraph graph;
    graph.add_run(run());
    const auto report = graph::execute_locally(graph, ctx.comm, options);
    EXPECT_EQ(report.built, 3);
    EXPECT_EQ(report.reused, 0);
  }
  // The evaluation's rows, then the curves' AUC rows, shown in the run directory.
  Strings cases;
  for (const auto& row : read_results(dir.file("run"))) cases.push_back(row.case_name);
  EXPECT_EQ(cases, (Strings{"old/old", "new/fct", "auc fct random"}));
  EXPECT_NE(read_text_file(dir.file("run/results.md")).find("Stage test study"), std::string::npos);
  EXPECT_TRUE(fs::is_symlink(dir.file("run/results.csv")));

  graph::StageGraph graph;
  const auto keys = graph.add_run(run());
  const auto report = graph::execute_locally(graph, ctx.comm, options);
  EXPECT_EQ(report.built, 0);
  EXPECT_EQ(report.reused, 3);
  EXPECT_EQ(evaluation_builds, 1);
  EXPECT_EQ(curves_builds, 1);
  const graph::ArtifactCache cache(options.artifacts_dir);
  EXPECT_TRUE(cache.contains(kTableKind, keys.at(kTableKind)));
}

TEST(StageNodes, AStoreWhoseModelCannotBeReadLeavesNothingUnderItsKey) {
  ScratchDir dir("fct-stage-nodes");
  Env ctx;
  const auto study = small_study();
  int old_builds = 0;
  graph::RunNodes nodes;
  nodes.run_directory = dir.file("run");
  // An "old model" node that writes no model file: the store's build must fail on reading it.
  nodes.add("old", stub_node("old", "notes.txt", "no weights", old_builds));
  nodes.add("stores/old", store_node(ctx.env, study, "old", "old", ""));
  graph::StageGraph graph;
  const auto keys = graph.add_run(nodes);
  graph::ExecutionOptions options;
  options.artifacts_dir = dir.file("cache");
  const graph::ArtifactCache cache(options.artifacts_dir);
  try {
    graph::execute_locally(graph, ctx.comm, options);
    FAIL() << "a store was built without a model";
  } catch (const Error& e) {
    // The build reads the model where its input node was published.
    EXPECT_NE(std::string(e.what()).find(model_in(cache.directory("old", keys.at("old")))),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(old_builds, 1);
  EXPECT_TRUE(cache.contains("old", keys.at("old")));
  EXPECT_FALSE(cache.contains("store", keys.at("stores/old")));
  EXPECT_FALSE(fs::exists(cache.directory("store", keys.at("stores/old"))));
  EXPECT_FALSE(fs::exists(cache.partial_directory("store", keys.at("stores/old"))));
}

TEST(StageNodes, TheTrainingsAreResumableAndEveryNodeIsCached) {
  Env ctx;
  auto study = small_study();
  study.backfilling.fastfill = true;
  study.backfilling.orders = {"random"};
  std::map<std::string, graph::StageNode> nodes = compatibility(ctx.env, study).nodes;
  nodes.emplace("old", supervised_model_node(ctx.env, "old", study, "old", study.old_model));
  nodes.emplace("new", supervised_model_node(ctx.env, "new", study, "new", study.new_model));
  nodes.emplace("side_info", side_info_model_node(ctx.env, study, {0, 1}, study.side_info));
  nodes.emplace("bct", bct_model_node(ctx.env, study, "bct", study.bct_model, "old"));
  nodes.emplace("stores/old", store_node(ctx.env, study, "old", "old", "side_info"));
  EXPECT_EQ(nodes.size(), 17u);
  // A training leaves a checkpoint to resume from after a preemption; the other builds write
  // their files without one, and a partial directory of theirs must not be taken for one.
  for (const auto& [id, node] : nodes) {
    const bool trains =
        is_training_kind(node.kind) || node.kind == "transformation" || node.kind == "fastfill";
    EXPECT_EQ(node.resumable, trains) << id << " (" << node.kind << ")";
    EXPECT_TRUE(node.cached) << id;  // even the table: a finished study has nothing to run
  }
}

TEST(StageNodes, APreemptedTrainingResumesFromItsCheckpointAndOtherNodesStartAfresh) {
  ScratchDir dir("fct-stage-nodes");
  Env ctx;
  const auto study = small_study();
  // Stand-ins with the kinds and resumability of the study's old model and its store; each is
  // preempted on its first attempt after writing into its partial directory.
  Strings log;
  const auto stand_in = [&log](graph::StageNode real, const std::string& leftover) {
    graph::StageNode node;
    node.kind = real.kind;
    node.config = real.config;
    node.inputs = real.inputs;
    node.label = real.label;
    node.resumable = real.resumable;
    auto attempts = std::make_shared<int>(0);
    const std::string kind = real.kind;
    node.build = [&log, attempts, kind, leftover](const graph::NodeBuild& build) {
      const bool found = fs::exists(build.directory + "/" + leftover);
      log.push_back(kind + (build.resume ? " resume" : " fresh") + (found ? " found" : ""));
      if ((*attempts)++ == 0) {
        write_text_file(build.directory + "/" + leftover, "half");
        throw Preempted("preempted", kind);
      }
      write_text_file(build.directory + "/out.txt", kind);
    };
    return node;
  };
  graph::RunNodes nodes;
  nodes.run_directory = dir.file("run");
  nodes.add("old", stand_in(supervised_model_node(ctx.env, "old", study, "old", study.old_model),
                            "checkpoint.pt"));
  nodes.add("stores/old", stand_in(store_node(ctx.env, study, "old", "old", ""), "half.h5"));
  graph::StageGraph graph;
  const auto keys = graph.add_run(nodes);
  graph::ExecutionOptions options;
  options.artifacts_dir = dir.file("cache");
  const graph::ArtifactCache cache(options.artifacts_dir);

  EXPECT_THROW(graph::execute_locally(graph, ctx.comm, options), Preempted);
  EXPECT_TRUE(fs::exists(cache.partial_directory("old", keys.at("old")) + "/checkpoint.pt"));
  EXPECT_THROW(graph::execute_locally(graph, ctx.comm, options), Preempted);
  // A preempted build of any kind keeps its partial directory until the next attempt.
  EXPECT_TRUE(fs::exists(cache.partial_directory("store", keys.at("stores/old")) + "/half.h5"));
  const auto report = graph::execute_locally(graph, ctx.comm, options);
  EXPECT_EQ(report.built, 1);
  EXPECT_EQ(report.reused, 1);
  EXPECT_EQ(log, (Strings{"old fresh", "old resume found", "store fresh", "store fresh"}));
  EXPECT_TRUE(cache.contains("store", keys.at("stores/old")));
  EXPECT_FALSE(fs::exists(cache.directory("store", keys.at("stores/old")) + "/half.h5"));
}

}  // namespace
}  // namespace fct::study
