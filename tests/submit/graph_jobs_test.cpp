// Jobs of a submitted graph: a job per model training, arrays of light nodes that wait for the same
// tasks, afterok edges to exactly the jobs or array tasks that build a job's inputs (or to queued
// ones of an earlier submission), a summary last; every shipped cluster profile loads.
#include "framework/submit/graph_jobs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "framework/config/cluster_profile.h"
#include "framework/config/config_loader.h"
#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::submit {
namespace {

std::string key(char c) {
  return std::string(16, c);
}

NodeToRun node(char c, const std::string& kind, std::vector<char> inputs, bool training) {
  NodeToRun n;
  n.key = key(c);
  n.kind = kind;
  n.label = kind;
  for (const char i : inputs) n.inputs.push_back(key(i));
  n.training = training;
  return n;
}

// A 2 × 1 grid's graph: two old models, a new model, their stores (and a second store of the new
// model, as of another split), one transformation per pair reading both stores, the transformed
// stores and the tables.
GraphSubmission grid_submission() {
  GraphSubmission submission;
  submission.name = "my grid";
  submission.command = {"grid", "/r/submit/g.yaml", "seed=1"};
  submission.nodes = {node('a', "old", {}, true),
                      node('b', "old", {}, true),
                      node('c', "new", {}, true),
                      node('d', "store", {'a'}, false),
                      node('e', "store", {'b'}, false),
                      node('f', "store", {'c'}, false),
                      node('m', "store", {'c'}, false),
                      node('g', "transformation", {'a', 'c', 'd', 'f'}, false),
                      node('h', "transformation", {'b', 'c', 'e', 'm'}, false),
                      node('i', "transformed_store", {'g', 'd'}, false),
                      node('j', "transformed_store", {'h', 'e'}, false),
                      node('k', "table", {'i'}, false),
                      node('l', "table", {'j'}, false)};
  submission.summary_command = {"grid", "/r/submit/g.yaml", "seed=1", "--summarize"};
  return submission;
}

// Names of what a job waits for: "<job name>" or "<job name>_<task>".
std::vector<std::string> waits_for(const std::vector<BatchJob>& jobs, const BatchJob& job) {
  std::vector<std::string> names;
  for (const auto& d : job.after)
    names.push_back(jobs[d.job].name + (d.task >= 0 ? "_" + std::to_string(d.task) : ""));
  std::sort(names.begin(), names.end());
  return names;
}

TEST(GraphJobs, EachTrainingAloneLightNodesAfterExactlyTheTasksOfTheirInputs) {
  const auto jobs = plan_graph_jobs(grid_submission());
  // 3 trainings; stores of a, of b, of c (an array of f and m: they wait for the same job); h ×2;
  // transformed stores ×2; tables ×2; summary.
  ASSERT_EQ(jobs.size(), 13u);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < jobs.size(); ++i) index[jobs[i].name] = i;
  ASSERT_EQ(index.size(), jobs.size()) << "job names are not unique";
  const auto& old_a = jobs[index.at("my_grid-old-aaaaaaaa")];
  EXPECT_FALSE(old_a.light);
  EXPECT_EQ(old_a.array_size, 0);
  EXPECT_TRUE(old_a.after.empty());
  EXPECT_EQ(old_a.fct_arguments, (std::vector<std::string>{"grid", "/r/submit/g.yaml", "seed=1",
                                                           "--nodes", key('a'), "--no-progress"}));
  const auto& store_d = jobs[index.at("my_grid-store-1")];
  EXPECT_TRUE(store_d.light);
  EXPECT_EQ(store_d.array_size, 0);
  EXPECT_EQ(store_d.keys, (std::vector<std::string>{key('d')}));
  EXPECT_EQ(waits_for(jobs, store_d), (std::vector<std::string>{"my_grid-old-aaaaaaaa"}));
  const auto& stores_of_c = jobs[index.at("my_grid-store-1-ffffffff")];
  EXPECT_EQ(stores_of_c.array_size, 2);
  EXPECT_EQ(stores_of_c.keys, (std::vector<std::string>{key('f'), key('m')}));
  EXPECT_EQ(stores_of_c.fct_arguments[4], key('f') + "," + key('m'));
  EXPECT_EQ(stores_of_c.fct_arguments[5], "--node-index");
  EXPECT_EQ(stores_of_c.fct_arguments[6], kArrayTaskId);
  EXPECT_EQ(waits_for(jobs, stores_of_c), (std::vector<std::string>{"my_grid-new-cccccccc"}));
  // h of (b, c) reads m, the second task of that array: it waits for that task, not the array.
  const auto& h = jobs[index.at("my_grid-transformation-2-hhhhhhhh")];
  EXPECT_EQ(h.array_size, 0);
  EXPECT_EQ(waits_for(jobs, h),
            (std::vector<std::string>{"my_grid-new-cccccccc", "my_grid-old-bbbbbbbb",
                                      "my_grid-store-1-eeeeeeee", "my_grid-store-1-ffffffff_1"}));
  EXPECT_EQ(waits_for(jobs, jobs[index.at("my_grid-transformation-2")]),
            (std::vector<std::string>{"my_grid-new-cccccccc", "my_grid-old-aaaaaaaa",
                                      "my_grid-store-1", "my_grid-store-1-ffffffff_0"}));
  // Every job comes after the jobs it waits for.
  for (std::size_t i = 0; i < jobs.size(); ++i)
    for (const auto& d : jobs[i].after) EXPECT_LT(d.job, i) << jobs[i].name;
  const auto& summary = jobs.back();
  EXPECT_EQ(summary.name, "my_grid-summary");
  EXPECT_FALSE(summary.all_ranks);
  EXPECT_EQ(summary.after.size(), jobs.size() - 1);
  EXPECT_EQ(summary.fct_arguments.back(), "--no-progress");
}

TEST(GraphJobs, CachedInputsAreNotWaitedForAndQueuedOnesAreByTheirTasks) {
  auto submission = grid_submission();
  // old a, old b and new c are in the cache; the stores are tasks of an array queued earlier.
  submission.nodes.erase(submission.nodes.begin(), submission.nodes.begin() + 7);
  submission.queued = {
      {key('d'), "71_0"}, {key('e'), "71_1"}, {key('f'), "71_2"}, {key('m'), "71_3"}};
  const auto jobs = plan_graph_jobs(submission);
  ASSERT_EQ(jobs.size(), 7u);  // h ×2, transformed stores ×2, tables ×2, summary
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < jobs.size(); ++i) index[jobs[i].name] = i;
  const auto& g = jobs[index.at("my_grid-transformation")];  // depth 0: its inputs are not built
  EXPECT_TRUE(g.after.empty());
  EXPECT_EQ(g.after_ids, (std::vector<std::string>{"71_0", "71_2"}));
  EXPECT_EQ(jobs[index.at("my_grid-transformation-hhhhhhhh")].after_ids,
            (std::vector<std::string>{"71_1", "71_3"}));
  const auto& i = jobs[index.at("my_grid-transformed_store-1")];  // reads g and the store d
  EXPECT_EQ(waits_for(jobs, i), (std::vector<std::string>{"my_grid-transformation"}));
  EXPECT_EQ(i.after_ids, (std::vector<std::string>{"71_0"}));
  EXPECT_EQ(jobs.back().after_ids, (std::vector<std::string>{"71_0", "71_1", "71_2", "71_3"}));
}

TEST(GraphJobs, ANodeAndItsInputNeverShareAnArray) {
  GraphSubmission submission;
  submission.name = "s";
  submission.command = {"run", "s.yaml"};
  // Two stores of which one reads the other (not a real graph, but the planner must not care).
  submission.nodes = {node('a', "store", {}, false), node('b', "store", {'a'}, false)};
  const auto jobs = plan_graph_jobs(submission);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(waits_for(jobs, jobs[1]), (std::vector<std::string>{"s-store"}));
  EXPECT_EQ(jobs[0].fct_arguments,
            (std::vector<std::string>{"run", "s.yaml", "--nodes", key('a'), "--no-progress"}));
}

TEST(ClusterProfile, TimeLimitsAndShippedProfiles) {
  EXPECT_EQ(config::slurm_time_seconds("90"), 90 * 60);
  EXPECT_EQ(config::slurm_time_seconds("1:30"), 90);
  EXPECT_EQ(config::slurm_time_seconds("02:00:00"), 7200);
  EXPECT_EQ(config::slurm_time_seconds("1-02"), 26 * 3600);
  EXPECT_EQ(config::slurm_time_seconds("1-00:00:10"), 86410);
  EXPECT_EQ(config::slurm_time_seconds("1:2:3:4"), 0);
  EXPECT_EQ(config::slurm_time_seconds("ten"), 0);
  EXPECT_THROW(config::parse_config<config::ClusterProfile>("time_limit: 0\n", "p.yaml"),
               ConfigError);
  EXPECT_THROW(config::parse_config<config::ClusterProfile>("partition: 'a b'\n", "p.yaml"),
               ConfigError);
  EXPECT_THROW(config::parse_config<config::ClusterProfile>("launcher: ssh\n", "p.yaml"),
               ConfigError);
  EXPECT_THROW(config::parse_config<config::ClusterProfile>("light_time_limit: x\n", "p.yaml"),
               ConfigError);
  int profiles = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(fct::testing::source_directory() + "/cluster")) {
    if (entry.path().extension() != ".yaml") continue;
    ++profiles;
    EXPECT_NO_THROW(config::load_config<config::ClusterProfile>(entry.path().string()))
        << entry.path();
  }
  EXPECT_GE(profiles, 2);
}

}  // namespace
}  // namespace fct::submit
