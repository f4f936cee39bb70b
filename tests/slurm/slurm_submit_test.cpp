// `fct submit` against a real SLURM: munged + slurmctld + slurmd on localhost, started by the
// CTest fixture slurm.start (cluster/local_slurm.sh, a throw-away configuration; SLURM_CONF points
// at it) and stopped by slurm.stop. Through it: a study's parts run in their dependency order, a
// failed part cancels what waits for it, a sweep runs as a job array with a complete summary, and
// a job that reaches its time limit checkpoints, is requeued and ends exactly as an uninterrupted
// run does.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>

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

// The one submission of a run directory: its jobs.json.
nlohmann::json jobs_of(const std::string& run_directory) {
  for (const auto& entry : fs::directory_iterator(run_directory + "/submit"))
    return nlohmann::json::parse(read_text_file(entry.path().string() + "/jobs.json"));
  return nullptr;
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

TEST_F(SlurmSubmit, StudyPartsRunInDependencyOrderAndAFailedPartCancelsTheRest) {
  write_fixture("imagenet", dir.file("build/fixtures/imagenet"));
  fs::copy_file(source_directory() + "/experiments/imagenet_tiny_fct.yaml", dir.file("study.yaml"));
  const std::string profile = profile_file(dir);
  auto result = submit({"study.yaml", "--cluster", profile, "--wait", "--wait-timeout", "900"},
                       dir.path(), 1000);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("all 5 jobs succeeded"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("| new/fct+si |"), std::string::npos) << result.output;

  const std::string run = dir.file("runs/imagenet_tiny_fct");
  const auto jobs = jobs_of(run);
  ASSERT_EQ(jobs["jobs"].size(), 5u);
  const auto& compatibility = jobs["jobs"][4];
  EXPECT_EQ(compatibility["after"].size(), 4u);
  // Each dependency had ended before the compatibility part started.
  const auto log_of = [&](const nlohmann::json& job) {
    std::string pattern = job["log"].get<std::string>();
    return read_text_file(
        std::regex_replace(pattern, std::regex("%j"), job["id"].get<std::string>()));
  };
  const std::string started = time_in_log(log_of(compatibility), "starts");
  ASSERT_FALSE(started.empty());
  for (int i = 0; i < 4; ++i) {
    const std::string ended = time_in_log(log_of(jobs["jobs"][i]), "ends");
    ASSERT_FALSE(ended.empty()) << jobs["jobs"][i];
    EXPECT_LE(ended, started) << jobs["jobs"][i]["name"];
  }

  // The old part fails (its data is gone): bct and compatibility never run, --wait says so.
  fs::remove_all(dir.file("build/fixtures/imagenet"));
  fs::remove_all(dir.file("runs"));
  result = submit({"study.yaml", "--cluster", profile, "--wait", "--wait-timeout", "600"},
                  dir.path(), 700);
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("imagenet_tiny_fct-old (job"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("imagenet_tiny_fct-compatibility (job"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("a job it waits for failed"), std::string::npos) << result.output;
}

TEST_F(SlurmSubmit, SweepRunsAsAJobArrayWithACompleteSummary) {
  write_fixture("imagenet", dir.file("build/fixtures/imagenet"));
  fs::copy_file(source_directory() + "/experiments/imagenet_tiny_fct.yaml", dir.file("study.yaml"));
  const auto result = submit({"study.yaml", "side_info.model.embedding_dim=8,16,32", "--cluster",
                              profile_file(dir), "--wait", "--wait-timeout", "900"},
                             dir.path(), 1000);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("array 0-2"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("| side_info.model.embedding_dim=32 |"), std::string::npos)
      << result.output;
  const std::string run = dir.file("runs/imagenet_tiny_fct");
  const auto summary = nlohmann::json::parse(read_text_file(run + "/sweep/summary.json"));
  ASSERT_EQ(summary.size(), 3u);
  for (const auto& point : summary) EXPECT_EQ(point["results"].size(), 7u);
  const auto jobs = jobs_of(run);
  const std::string array_id = jobs["jobs"][0]["id"];
  for (int task = 0; task < 3; ++task)
    EXPECT_TRUE(fs::exists(run + "/slurm-logs/imagenet_tiny_fct-points_" + array_id + "_" +
                           std::to_string(task) + ".out"))
        << task;
  EXPECT_EQ(jobs["jobs"][1]["after"][0], array_id);
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
  const auto jobs = jobs_of(run);
  const auto& new_part = jobs["jobs"][2];
  ASSERT_EQ(new_part["name"], "fashion_mnist_fct-new");
  const std::string log = read_text_file(std::regex_replace(
      new_part["log"].get<std::string>(), std::regex("%j"), new_part["id"].get<std::string>()));
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
