// Waiting for submitted jobs (a stand-in for squeue, exit files written by hand where the batch
// scripts leave them): SLURM is asked until it holds none of the jobs; then every job or array
// task whose exit status is not 0, or that left none, is named with its log and the nodes it was to
// build, and the result is true only when all exited 0. A time limit ends the wait with an error.
#include "framework/submit/job_wait.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "tests/test_support.h"

namespace fct::submit {
namespace {

namespace fs = std::filesystem;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;

ScriptPaths paths_in(const ScratchDir& dir) {
  ScriptPaths paths;
  paths.working_directory = dir.path();
  paths.log_directory = dir.file("logs 100%");  // '%' is doubled for sbatch, single in the path
  paths.status_directory = dir.file("status");
  paths.script = dir.file("job.sbatch");
  fs::create_directories(paths.status_directory);
  return paths;
}

SubmittedJob job(const ScriptPaths& paths, const std::string& name, const std::string& id,
                 std::vector<std::string> keys, std::vector<std::string> kinds,
                 int64_t array_size = 0) {
  SubmittedJob s;
  s.job.name = name;
  s.job.keys = std::move(keys);
  s.job.kinds = std::move(kinds);
  s.job.array_size = array_size;
  s.paths = paths;
  s.id = id;
  return s;
}

// What the job's script leaves when it ends.
void ended(const SubmittedJob& s, int status, int64_t task = -1) {
  write_text_file(exit_file(s.job, s.paths, task), std::to_string(status) + "\n");
}

// SLURM as the jobs' ids see it: each of them queued for `polls` questions, then gone. Records
// what it was asked.
struct FakeQueue {
  int polls = 0;
  int asked = 0;
  std::vector<std::string> last_question;

  WaitOptions options() {
    WaitOptions options;
    options.poll = std::chrono::milliseconds(1);
    options.queued = [this](const std::vector<std::string>& ids) {
      ++asked;
      last_question = ids;
      return asked <= polls ? ids : std::vector<std::string>{};
    };
    return options;
  }
};

constexpr const char* kOld = "0123456789abcdef";
constexpr const char* kStore = "1111111111111111";
constexpr const char* kEval = "2222222222222222";

TEST(JobWait, AllJobsExitingZeroIsSuccessAndReportsNothing) {
  ScratchDir dir("fct-job-wait");
  const auto paths = paths_in(dir);
  const std::vector<SubmittedJob> jobs = {job(paths, "s-old", "101", {kOld}, {"old"}),
                                          job(paths, "s-store", "102", {kStore}, {"store"})};
  ended(jobs[0], 0);
  ended(jobs[1], 0);
  FakeQueue queue;
  queue.polls = 3;
  std::ostringstream out;
  EXPECT_TRUE(wait_for_jobs(jobs, queue.options(), out));
  EXPECT_EQ(out.str(), "");
  // Asked until SLURM held none of them, about all of them.
  EXPECT_EQ(queue.asked, 4);
  EXPECT_EQ(queue.last_question, (std::vector<std::string>{"101", "102"}));
}

TEST(JobWait, AFailedJobIsNamedWithItsStatusLogAndNodes) {
  ScratchDir dir("fct-job-wait");
  const auto paths = paths_in(dir);
  const std::vector<SubmittedJob> jobs = {
      job(paths, "s-old", "101", {kOld}, {"old"}),
      job(paths, "s store", "102", {kStore, kEval}, {"store", "evaluation"})};
  ended(jobs[0], 0);
  ended(jobs[1], 3);
  std::ostringstream out;
  FakeQueue queue;
  EXPECT_FALSE(wait_for_jobs(jobs, queue.options(), out));
  EXPECT_EQ(out.str(), "  s_store (job 102): failed with status 3; log: " +
                           dir.file("logs 100%/s_store_102.out") +
                           "\n"
                           "    node store 1111111111111111\n"
                           "    node evaluation 2222222222222222\n");
  EXPECT_EQ(log_file(jobs[1].job, paths, "102", -1), dir.file("logs 100%/s_store_102.out"));
}

// No exit status: cancelled, killed at its time limit without a checkpoint, or never started
// because a job it waits for failed.
TEST(JobWait, AJobThatLeftNoExitStatusNeverRan) {
  ScratchDir dir("fct-job-wait");
  const auto paths = paths_in(dir);
  const std::vector<SubmittedJob> jobs = {job(paths, "s-old", "101", {kOld}, {"old"}),
                                          job(paths, "s-eval", "103", {kEval}, {"evaluation"})};
  ended(jobs[0], 1);
  write_text_file(exit_file(jobs[1].job, paths, -1), "");  // begun, but no status written
  std::ostringstream out;
  FakeQueue queue;
  EXPECT_FALSE(wait_for_jobs(jobs, queue.options(), out));
  EXPECT_EQ(out.str(),
            "  s-old (job 101): failed with status 1; log: " + dir.file("logs 100%/s-old_101.out") +
                "\n"
                "    node old 0123456789abcdef\n"
                "  s-eval (job 103): did not finish — cancelled, timed out, or a job it waits for "
                "failed; log: " +
                dir.file("logs 100%/s-eval_103.out") +
                "\n"
                "    node evaluation 2222222222222222 never ran\n");
}

// Each task of an array builds one node: only the tasks that failed are named, each with its own
// log and node.
TEST(JobWait, ArrayTasksAreJudgedOneByOne) {
  ScratchDir dir("fct-job-wait");
  const auto paths = paths_in(dir);
  const std::vector<SubmittedJob> jobs = {
      job(paths, "s-stores", "200", {kOld, kStore, kEval}, {"store", "store", "store"}, 3)};
  ended(jobs[0], 0, 0);
  ended(jobs[0], 0, 2);
  FakeQueue queue;
  queue.polls = 1;
  {
    ended(jobs[0], 137, 1);
    std::ostringstream out;
    EXPECT_FALSE(wait_for_jobs(jobs, queue.options(), out));
    EXPECT_EQ(out.str(), "  s-stores_1 (job 200): failed with status 137; log: " +
                             dir.file("logs 100%/s-stores_200_1.out") +
                             "\n"
                             "    node store 1111111111111111\n");
    EXPECT_EQ(queue.last_question, std::vector<std::string>{"200"});
  }
  {
    ended(jobs[0], 0, 1);
    fs::remove(exit_file(jobs[0].job, paths, 2));
    std::ostringstream out;
    EXPECT_FALSE(wait_for_jobs(jobs, queue.options(), out));
    EXPECT_EQ(out.str(),
              "  s-stores_2 (job 200): did not finish — cancelled, timed out, or a job it waits "
              "for failed; log: " +
                  dir.file("logs 100%/s-stores_200_2.out") +
                  "\n"
                  "    node store 2222222222222222 never ran\n");
  }
  {
    ended(jobs[0], 0, 2);
    std::ostringstream out;
    EXPECT_TRUE(wait_for_jobs(jobs, queue.options(), out));
    EXPECT_EQ(out.str(), "");
  }
  // Each task leaves its status in a file of its own.
  EXPECT_EQ(exit_file(jobs[0].job, paths, 1), dir.file("status/s-stores_1.exit"));
}

TEST(JobWait, JobsStillQueuedAtTheTimeLimitAreAnErrorAndGoOn) {
  ScratchDir dir("fct-job-wait");
  const auto paths = paths_in(dir);
  const std::vector<SubmittedJob> jobs = {job(paths, "s-old", "101", {kOld}, {"old"})};
  FakeQueue queue;
  queue.polls = 1000000;  // never leaves the queue
  auto options = queue.options();
  options.timeout_s = 0.02;
  std::ostringstream out;
  try {
    wait_for_jobs(jobs, options, out);
    FAIL() << "no timeout";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "jobs still queued after 0 s: they go on; follow them with squeue or fct status");
  }
  EXPECT_GE(queue.asked, 2);  // asked again after each poll until the limit
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace fct::submit
