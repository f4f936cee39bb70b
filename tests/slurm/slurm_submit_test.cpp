// `fct submit` against a real SLURM: munged + slurmctld + slurmd on localhost, started by the
// CTest fixture slurm.start (cluster/local_slurm.sh, a throw-away configuration; SLURM_CONF points
// at it, with 8 CPUs on this 2-core machine so that jobs overlap) and stopped by slurm.stop.
// Through it: a study's graph runs as jobs in dependency order and a cancelled job takes only its
// descendants with it; the points of a sweep share their nodes; a grid's model trainings run side
// by side and its matrices equal a local `fct grid`; a job that reaches its time limit checkpoints,
// is requeued and ends exactly as an uninterrupted run does.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "tests/cli/cli_test_support.h"
#include "tests/dataset_fixtures.h"

namespace fct::testing {
namespace {

namespace fs = std::filesystem;

// The fixture's SLURM (tests/CMakeLists.txt: <build>/slurm-state), unless SLURM_CONF says
// otherwise.
void use_test_slurm() {
  const std::string conf =
      fs::path(fct_binary()).parent_path().string() + "/slurm-state/etc/slurm.conf";
  ::setenv("SLURM_CONF", conf.c_str(), /*overwrite=*/0);
}

CommandResult submit(const std::vector<std::string>& arguments, const std::string& directory,
                     double deadline_s) {
  use_test_slurm();
  std::vector<std::string> argv = {fct_binary(), "submit"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return run_command(argv, deadline_s, directory);
}

// The submissions of a run directory (jobs.json), oldest first.
std::vector<nlohmann::json> submissions_of(const std::string& run_directory) {
  std::vector<std::string> directories;
  for (const auto& entry : fs::directory_iterator(run_directory + "/submit"))
    if (fs::exists(entry.path() / "jobs.json")) directories.push_back(entry.path().string());
  std::sort(directories.begin(), directories.end());
  std::vector<nlohmann::json> records;
  for (const auto& d : directories)
    records.push_back(nlohmann::json::parse(read_text_file(d + "/jobs.json")));
  return records;
}
nlohmann::json jobs_of(const std::string& run_directory) {
  return submissions_of(run_directory).front();
}
nlohmann::json jobs_of_latest(const std::string& run_directory) {
  return submissions_of(run_directory).back();
}

// "starts 2026-..." and "ends 2026-..." of a job's log.
std::string time_in_log(const std::string& log, const std::string& word) {
  std::smatch match;
  const std::regex pattern(word + " ([0-9T:Z-]+)");
  if (!std::regex_search(log, match, pattern)) return "";
  return match[1];
}

// cluster/local.yaml with this build's fct (the tests run in scratch directories).
std::string profile_file(const ScratchDir& dir, const std::string& time_limit = "02:00:00",
                         int signal_seconds = 60) {
  const std::string path = dir.file("local.yaml");
  write_text_file(path,
                  "name: local-test\npartition: debug\nnodes: 1\ntasks_per_node: 2\n"
                  "cpus_per_task: 1\nlauncher: mpirun\nmax_stalled_requeues: 3\n"
                  "array_parallelism: 1\ntime_limit: '" +
                      time_limit + "'\nsignal_seconds: " + std::to_string(signal_seconds) +
                      "\nfct: " + fct_binary() + "\n");
  return path;
}

// Each test works in its own scratch directory. When one fails, its job logs are the evidence:
// the directory stays (ScratchDir keeps a failed test's files) and every job log in it is named
// with its last lines.
class SlurmSubmit : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) return;
    std::cerr << "fct test: the job logs of this failed test (kept):\n";
    for (const auto& entry : fs::recursive_directory_iterator(dir.path())) {
      if (!entry.is_regular_file() || entry.path().parent_path().filename() != "slurm-logs")
        continue;
      std::cerr << "----- " << entry.path().string() << " (last lines)\n"
                << last_lines(read_text_file(entry.path().string()), 40);
    }
  }

  static std::string last_lines(const std::string& text, int count) {
    std::size_t start = text.size();
    for (int found = 0; start > 0 && found <= count;)
      if (text[--start] == '\n') ++found;
    return text.substr(start == 0 ? 0 : start + 1);
  }

  ScratchDir dir{"fct-slurm"};
};

// Every job of a submission with the graph nodes it builds (jobs.json), its log's start and end.
struct JobRecord {
  std::string name, id;
  std::vector<std::string> after, kinds;
  std::string starts, ends;  // UTC, from the log of each task (earliest start, latest end)
  std::map<int64_t, std::string> task_ends;  // an array's tasks
};

std::vector<JobRecord> job_records(const nlohmann::json& jobs) {
  std::vector<JobRecord> records;
  for (const auto& job : jobs["jobs"]) {
    JobRecord r;
    r.name = job["name"];
    r.id = job["id"];
    r.after = job["after"].get<std::vector<std::string>>();
    for (const auto& node : job["nodes"]) {
      r.kinds.push_back(node["kind"]);
      const std::string log = read_text_file(node["log"].get<std::string>());
      const std::string started = time_in_log(log, "starts"), ended = time_in_log(log, "ends");
      if (r.starts.empty() || started < r.starts) r.starts = started;
      if (ended > r.ends) r.ends = ended;
      if (node.value("task", int64_t{-1}) >= 0) r.task_ends[node["task"].get<int64_t>()] = ended;
    }
    if (job["nodes"].empty()) {  // the summary job: one log
      std::string pattern = job["log"].get<std::string>();
      const std::string log = read_text_file(std::regex_replace(pattern, std::regex("%j"), r.id));
      r.starts = time_in_log(log, "starts");
      r.ends = time_in_log(log, "ends");
    }
    records.push_back(r);
  }
  return records;
}

// Every job started after each job, or array task ("<id>_<task>"), it depends on had ended.
void expect_dependency_order(const std::vector<JobRecord>& records) {
  std::map<std::string, const JobRecord*> by_id;
  for (const auto& r : records) by_id[r.id] = &r;
  for (const auto& r : records) {
    ASSERT_FALSE(r.starts.empty()) << r.name;
    for (const auto& d : r.after) {
      const auto underscore = d.find('_');
      const std::string id = d.substr(0, underscore);
      ASSERT_EQ(by_id.count(id), 1u) << r.name << " waits for unknown job " << d;
      const JobRecord& input = *by_id[id];
      std::string ended = input.ends;
      if (underscore != std::string::npos) {
        const int64_t task = std::stoll(d.substr(underscore + 1));
        ASSERT_EQ(input.task_ends.count(task), 1u) << r.name << " waits for unknown task " << d;
        ended = input.task_ends.at(task);
      }
      EXPECT_LE(ended, r.starts) << r.name << " started before " << d << " (" << input.name
                                 << ") ended";
    }
  }
}

int count_kind(const std::vector<JobRecord>& records, const std::string& kind) {
  int n = 0;
  for (const auto& r : records)
    for (const auto& k : r.kinds) n += k == kind ? 1 : 0;
  return n;
}

// A study's graph as jobs: each model training its own job, light nodes as arrays, every job after
// exactly what it reads. A job cancelled with scancel takes only its descendants with it;
// submitting again sends only what is neither cached nor queued and finishes the study.
TEST_F(SlurmSubmit, StudyNodesRunAsJobsAndACancelledJobTakesOnlyItsDescendants) {
  write_fixture("imagenet", dir.file("build/fixtures/imagenet"));
  fs::copy_file(source_directory() + "/experiments/imagenet_tiny_fct.yaml", dir.file("study.yaml"));
  const std::string profile = profile_file(dir);
  // The new model's job is held (submitted, not started) and then cancelled: what does not read
  // the new model still runs.
  auto result = submit({"study.yaml", "--cluster", profile}, dir.path(), 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string run = dir.file("runs/imagenet_tiny_fct");
  // The jobs have not run yet: find the new model's in the record, without reading logs.
  const auto first = jobs_of(run);
  std::string new_job;
  for (const auto& job : first["jobs"])
    if (job["nodes"].size() == 1 && job["nodes"][0]["kind"] == "new") new_job = job["id"];
  ASSERT_FALSE(new_job.empty()) << result.output;
  ASSERT_EQ(run_command({"scancel", new_job}, 60).exit_code, 0);
  // Wait for the queue to empty; then old, side_info and bct are cached, new is not.
  for (int i = 0; i < 600; ++i) {
    const auto queue = run_command({"squeue", "--noheader"}, 60);
    if (queue.output.find_first_not_of(" \n") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  result = run_command({fct_binary(), "status", run, "--json"}, 60);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto status = nlohmann::json::parse(result.output.substr(result.output.find('[')));
  // Exactly the new model and what reads it, directly or not, did not run.
  std::set<std::string> descendants;
  for (const auto& node : status)  // inputs come before the nodes that read them
    if (node["kind"] == "new") descendants.insert(node["key"].get<std::string>());
  for (const auto& node : status)
    for (const auto& input : node["inputs"])
      if (descendants.count(input.get<std::string>()) != 0)
        descendants.insert(node["key"].get<std::string>());
  int ran = 0;
  for (const auto& node : status) {
    const bool descendant = descendants.count(node["key"].get<std::string>()) != 0;
    if (descendant)
      EXPECT_NE(node["state"], "cached") << node.dump();
    else
      EXPECT_EQ(node["state"], "cached") << node.dump();
    ran += descendant ? 0 : 1;
  }
  EXPECT_EQ(ran, 5) << status.dump(1);  // old, ψ, BCT and the stores of old and BCT

  // Again: only new and what reads it; then every job started after its inputs ended.
  result = submit({"study.yaml", "--cluster", profile, "--wait", "--wait-timeout", "900"},
                  dir.path(), 1000);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("| new/fct+si |"), std::string::npos) << result.output;
  const auto second = job_records(jobs_of_latest(run));
  EXPECT_EQ(count_kind(second, "old"), 0);
  EXPECT_EQ(count_kind(second, "side_info"), 0);
  EXPECT_EQ(count_kind(second, "bct"), 0);
  EXPECT_EQ(count_kind(second, "new"), 1);
  expect_dependency_order(second);
  // A third time: nothing to submit.
  result = submit({"study.yaml", "--cluster", profile, "--wait"}, dir.path(), 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("nothing to submit"), std::string::npos) << result.output;
}

// The points of a sweep share one graph: φ_old, φ_new and BCT are trained once, ψ once per point;
// the summary job writes the summary of every point.
TEST_F(SlurmSubmit, SweepPointsShareTheirNodesAndEndWithACompleteSummary) {
  write_fixture("imagenet", dir.file("build/fixtures/imagenet"));
  fs::copy_file(source_directory() + "/experiments/imagenet_tiny_fct.yaml", dir.file("study.yaml"));
  const auto result = submit({"study.yaml", "side_info.model.embedding_dim=8,16,32", "--cluster",
                              profile_file(dir), "--wait", "--wait-timeout", "900"},
                             dir.path(), 1000);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("| side_info.model.embedding_dim=32 |"), std::string::npos)
      << result.output;
  const std::string run = dir.file("runs/imagenet_tiny_fct");
  const auto summary = nlohmann::json::parse(read_text_file(run + "/sweep/summary.json"));
  ASSERT_EQ(summary.size(), 3u);
  for (const auto& point : summary) EXPECT_EQ(point["results"].size(), 7u);
  const auto records = job_records(jobs_of(run));
  EXPECT_EQ(count_kind(records, "old"), 1);
  EXPECT_EQ(count_kind(records, "new"), 1);
  EXPECT_EQ(count_kind(records, "bct"), 1);
  EXPECT_EQ(count_kind(records, "side_info"), 3);
  expect_dependency_order(records);
  EXPECT_EQ(records.back().name, "imagenet_tiny_fct-summary");
}

// A 2 × 2 grid as jobs: its model trainings run at the same time on separate allocations, and its
// matrices equal those of a local `fct grid` of the same file (with a cache of its own).
TEST_F(SlurmSubmit, GridTrainingsRunSideBySideAndTheMatricesEqualALocalGrid) {
  write_fixture("imagenet", dir.file("build/fixtures/imagenet"));
  write_text_file(dir.file("grid.yaml"),
                  read_text_file(source_directory() + "/experiments/imagenet_tiny_fct.yaml") +
                      "grid:\n  old_models:\n    a: {}\n    b: {loss.name: cosface}\n"
                      "  new_models:\n    c: {}\n    d: {optimizer.lr: 0.02}\n");
  auto result =
      submit({"grid.yaml", "--cluster", profile_file(dir), "--wait", "--wait-timeout", "1200"},
             dir.path(), 1300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string run = dir.file("runs/imagenet_tiny_fct");
  const auto records = job_records(jobs_of(run));
  expect_dependency_order(records);
  std::vector<const JobRecord*> trainings;
  for (const auto& r : records)
    if (!r.kinds.empty() && (r.kinds[0] == "old" || r.kinds[0] == "new" ||
                             r.kinds[0] == "side_info" || r.kinds[0] == "bct"))
      trainings.push_back(&r);
  EXPECT_EQ(trainings.size(), 2u + 1u + 2u + 4u);  // old a, b; ψ; new c, d; BCT per pair
  int overlapping = 0;
  for (std::size_t i = 0; i < trainings.size(); ++i)
    for (std::size_t j = i + 1; j < trainings.size(); ++j)
      if (trainings[i]->starts < trainings[j]->ends && trainings[j]->starts < trainings[i]->ends)
        ++overlapping;
  EXPECT_GE(overlapping, 1) << "no two training jobs ran at the same time";

  const auto local = run_fct(2,
                             {"grid", "grid.yaml", "output_dir=runs/local",
                              "artifacts_dir=" + dir.file("local-cache"), "--no-progress"},
                             1200, dir.path());
  ASSERT_EQ(local.exit_code, 0) << local.output;
  const auto matrices = [](const std::string& file) {
    return nlohmann::json::parse(read_text_file(file))["matrices"];
  };
  EXPECT_EQ(matrices(run + "/grid.json"), matrices(dir.file("runs/local/grid.json")));
}

// A study whose new model trains for longer than the one-minute limit: SLURM sends USR2 10 s
// before (the limit is checked every 30 s, so 20-50 s into the run), fct writes a checkpoint
// inside the epoch, the job requeues and resumes. The results equal an uninterrupted `fct run`.
// The new model's steps last at least 1 s each (debug.min_step_seconds, not part of any result),
// so even on a fast machine its 8 epochs (about 60 steps) are still training when the first USR2
// comes; a slow machine needs more requeues, which the batch script grants as long as each one
// moves the checkpoint on.
TEST_F(SlurmSubmit, AJobAtItsTimeLimitCheckpointsRequeuesAndEndsAsAnUninterruptedRun) {
  const std::vector<std::string> overrides = {"data.limit=2000",
                                              "old.schedule.epochs=1",
                                              "side_info.schedule.epochs=1",
                                              "new.model.arch=resnet10_small",
                                              "new.schedule.epochs=8",
                                              "bct.schedule.epochs=1",
                                              "transformation.schedule.epochs=1",
                                              "transformation.transformation.cached_views=1"};
  fs::copy_file(source_directory() + "/experiments/fashion_mnist_fct.yaml", dir.file("study.yaml"));
  std::vector<std::string> args = {"study.yaml", "new.debug.min_step_seconds=1.0"};
  args.insert(args.end(), overrides.begin(), overrides.end());
  const std::vector<std::string> options = {"--cluster", profile_file(dir, "1", 10), "--wait",
                                            "--wait-timeout", "1200"};
  args.insert(args.end(), options.begin(), options.end());
  const auto result = submit(args, dir.path(), 1300);
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const std::string run = dir.file("runs/fashion_mnist_fct");
  std::string log;
  const auto submission = jobs_of(run);
  for (const auto& job : submission["jobs"])
    if (!job["nodes"].empty() && job["nodes"][0]["kind"] == "new")
      log = read_text_file(job["nodes"][0]["log"].get<std::string>());
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.find("checkpointed; requeueing"), std::string::npos) << log;
  EXPECT_NE(log.find("stopped at: "), std::string::npos) << log;
  EXPECT_NE(log.find("restart 1"), std::string::npos) << log;
  EXPECT_NE(log.find("resumed from"), std::string::npos) << log;
  EXPECT_EQ(log.find("giving up"), std::string::npos) << log;

  // The same study without SLURM, in one go, and without the slowed steps.
  std::vector<std::string> reference = {"run", "study.yaml", "output_dir=runs/reference",
                                        "--no-progress"};
  reference.insert(reference.begin() + 2, overrides.begin(), overrides.end());
  const auto uninterrupted = run_fct(2, reference, 900, dir.path());
  ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.output;
  const auto rows = [](const std::string& file) {
    auto json = nlohmann::json::parse(read_text_file(file));
    for (auto& row : json) row.erase("description");
    return json;
  };
  EXPECT_EQ(rows(run + "/results.json"), rows(dir.file("runs/reference/results.json")));
}

}  // namespace
}  // namespace fct::testing
