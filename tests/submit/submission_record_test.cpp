// What earlier submissions sent, read back from <run>/submit/*/jobs.json (written here by hand in
// the format fct submit writes): each node's job, array task, log and exit file, the newest
// submission winning for a node sent twice, unreadable records skipped; what became of a node's
// job, from its exit file and, while it has none, SLURM's queue; and how each outcome reads.
#include "framework/submit/submission_record.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/test_support.h"

namespace fct::submit {
namespace {

namespace fs = std::filesystem;
using fct::testing::ScratchDir;
using fct::testing::write_text_file;

constexpr const char* kOld = "0123456789abcdef";
constexpr const char* kStoreA = "1111111111111111";
constexpr const char* kStoreB = "2222222222222222";

// A node of a job as jobs.json lists it.
nlohmann::json node(const std::string& key, const std::string& kind, int64_t task,
                    const std::string& log, const std::string& exit) {
  return {{"key", key}, {"kind", kind}, {"task", task}, {"log", log}, {"exit_file", exit}};
}

// <run>/submit/<submission>/jobs.json with `jobs`, and the fields fct submit writes around them.
void write_record(const std::string& run, const std::string& submission,
                  const nlohmann::json& jobs) {
  const std::string directory = run + "/submit/" + submission;
  fs::create_directories(directory);
  const nlohmann::json record = {
      {"kind", "study"}, {"name", "s"}, {"submitted", "2024-01-01T00:00:00Z"}, {"jobs", jobs}};
  write_text_file(directory + "/jobs.json", record.dump(2) + "\n");
}

nlohmann::json job(const std::string& name, const std::string& id, const nlohmann::json& nodes) {
  return {{"name", name}, {"id", id}, {"array_size", 0}, {"nodes", nodes}};
}

// The first submission: the old model alone, then both stores as an array of two tasks.
nlohmann::json first_jobs() {
  auto jobs = nlohmann::json::array();
  jobs.push_back(
      job("s-old", "101",
          nlohmann::json::array({node(kOld, "old", -1, "/l/s-old_101.out", "/st/s-old.exit")})));
  jobs.push_back(
      job("s-stores", "102",
          nlohmann::json::array(
              {node(kStoreA, "store", 0, "/l/s-stores_102_0.out", "/st/s-stores_0.exit"),
               node(kStoreB, "store", 1, "/l/s-stores_102_1.out", "/st/s-stores_1.exit")})));
  return jobs;
}

TEST(SubmissionRecord, ARunWithoutSubmissionsHasNoNodeJobs) {
  ScratchDir dir("fct-submission");
  EXPECT_TRUE(submitted_node_jobs(dir.file("run")).empty());
  fs::create_directories(dir.file("run/submit/20240101T000000Z-1"));  // sbatch failed: no record
  EXPECT_TRUE(submitted_node_jobs(dir.file("run")).empty());
}

TEST(SubmissionRecord, EveryNodeOfEveryJobWithItsTaskLogAndExitFile) {
  ScratchDir dir("fct-submission");
  write_record(dir.file("run"), "20240101T000000Z-1", first_jobs());
  const auto jobs = submitted_node_jobs(dir.file("run"));
  ASSERT_EQ(jobs.size(), 3u);
  const NodeJob& old = jobs.at(kOld);
  EXPECT_EQ(old.key, kOld);
  EXPECT_EQ(old.job_id, "101");
  EXPECT_EQ(old.job_name, "s-old");
  EXPECT_EQ(old.task, -1);
  EXPECT_EQ(old.log, "/l/s-old_101.out");
  EXPECT_EQ(old.exit_file, "/st/s-old.exit");
  const NodeJob& b = jobs.at(kStoreB);
  EXPECT_EQ(b.job_id, "102");
  EXPECT_EQ(b.job_name, "s-stores");
  EXPECT_EQ(b.task, 1);
  EXPECT_EQ(b.log, "/l/s-stores_102_1.out");
  EXPECT_EQ(b.exit_file, "/st/s-stores_1.exit");
  EXPECT_EQ(jobs.at(kStoreA).task, 0);
}

TEST(SubmissionRecord, AbsentTaskLogAndExitFileHaveTheirDefaults) {
  ScratchDir dir("fct-submission");
  const nlohmann::json key_only = {{"key", kOld}};
  auto jobs = nlohmann::json::array();
  jobs.push_back(job("s-old", "7", nlohmann::json::array({key_only})));
  jobs.push_back({{"name", "summary"}, {"id", "8"}});  // a job that builds no node
  write_record(dir.file("run"), "20240101T000000Z-1", jobs);
  const auto read = submitted_node_jobs(dir.file("run"));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read.at(kOld).job_id, "7");
  EXPECT_EQ(read.at(kOld).task, -1);
  EXPECT_EQ(read.at(kOld).log, "");
  EXPECT_EQ(read.at(kOld).exit_file, "");
}

// Submissions are named <UTC time>-<pid>: a later one sent the node again (its first job failed),
// and its job is the one to follow. Nodes it did not send keep their earlier job.
TEST(SubmissionRecord, TheNewestSubmissionOfANodeWins) {
  ScratchDir dir("fct-submission");
  auto again = nlohmann::json::array();
  again.push_back(
      job("s-old", "301",
          nlohmann::json::array({node(kOld, "old", -1, "/l2/s-old_301.out", "/st2/s-old.exit")})));
  // Written first, named later: the name orders them, not the time of writing.
  write_record(dir.file("run"), "20240102T090000Z-7", again);
  write_record(dir.file("run"), "20240101T000000Z-1", first_jobs());
  const auto jobs = submitted_node_jobs(dir.file("run"));
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs.at(kOld).job_id, "301");
  EXPECT_EQ(jobs.at(kOld).log, "/l2/s-old_301.out");
  EXPECT_EQ(jobs.at(kOld).exit_file, "/st2/s-old.exit");
  EXPECT_EQ(jobs.at(kStoreA).job_id, "102");
}

TEST(SubmissionRecord, AnUnreadableRecordIsSkipped) {
  ScratchDir dir("fct-submission");
  write_record(dir.file("run"), "20240101T000000Z-1", first_jobs());
  // Newer, but not JSON; one whose job has no id; one whose jobs are not a list: none of them
  // replaces the readable one.
  fs::create_directories(dir.file("run/submit/20240103T000000Z-9"));
  write_text_file(dir.file("run/submit/20240103T000000Z-9/jobs.json"), "{\"jobs\": [");
  auto no_id = nlohmann::json::array();
  no_id.push_back(
      {{"name", "s-old"}, {"nodes", nlohmann::json::array({node(kOld, "old", -1, "/x", "/y")})}});
  write_record(dir.file("run"), "20240104T000000Z-3", no_id);
  write_record(dir.file("run"), "20240105T000000Z-4", "none");  // not a list of jobs
  const auto jobs = submitted_node_jobs(dir.file("run"));
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs.at(kOld).job_id, "101");
  EXPECT_EQ(jobs.at(kOld).exit_file, "/st/s-old.exit");
}

// A node job whose exit file lies in `dir`.
NodeJob node_job(const ScratchDir& dir, const std::string& id) {
  NodeJob job;
  job.key = kOld;
  job.job_id = id;
  job.job_name = "s-old";
  job.exit_file = dir.file("s-old.exit");
  return job;
}

TEST(SubmissionRecord, AnExitStatusOfZeroIsSuccessWhateverTheQueueSays) {
  ScratchDir dir("fct-submission");
  const NodeJob job = node_job(dir, "101");
  write_text_file(job.exit_file, "0\n");
  // An array stays in the queue while another of its tasks runs.
  const auto outcome = node_job_state(job, {{"101", QueueState::kRunning}});
  EXPECT_EQ(outcome.state, JobOutcome::State::kSucceeded);
  EXPECT_EQ(outcome.exit_status, 0);
  EXPECT_FALSE(outcome.in_queue());
  EXPECT_EQ(outcome.describe(), "succeeded");
}

TEST(SubmissionRecord, ANonZeroExitStatusIsFailure) {
  ScratchDir dir("fct-submission");
  const NodeJob job = node_job(dir, "101");
  write_text_file(job.exit_file, "2\n");
  const auto outcome = node_job_state(job, {});
  EXPECT_EQ(outcome.state, JobOutcome::State::kFailed);
  EXPECT_EQ(outcome.exit_status, 2);
  EXPECT_FALSE(outcome.in_queue());
  EXPECT_EQ(outcome.describe(), "failed (status 2)");
}

TEST(SubmissionRecord, WithoutAnExitStatusTheQueueSays) {
  ScratchDir dir("fct-submission");
  const NodeJob job = node_job(dir, "101");
  const std::map<std::string, QueueState> running = {{"100", QueueState::kWaiting},
                                                     {"101", QueueState::kRunning}};
  auto outcome = node_job_state(job, running);
  EXPECT_EQ(outcome.state, JobOutcome::State::kRunning);
  EXPECT_EQ(outcome.exit_status, -1);
  EXPECT_TRUE(outcome.in_queue());
  EXPECT_EQ(outcome.describe(), "running");

  outcome = node_job_state(job, {{"101", QueueState::kWaiting}});
  EXPECT_EQ(outcome.state, JobOutcome::State::kQueued);
  EXPECT_EQ(outcome.exit_status, -1);
  EXPECT_TRUE(outcome.in_queue());
  EXPECT_EQ(outcome.describe(), "queued");

  // Gone from the queue with no status: cancelled, or a job it waited for failed.
  outcome = node_job_state(job, {{"100", QueueState::kRunning}});
  EXPECT_EQ(outcome.state, JobOutcome::State::kNeverRan);
  EXPECT_EQ(outcome.exit_status, -1);
  EXPECT_FALSE(outcome.in_queue());
  EXPECT_EQ(outcome.describe(), "never ran");

  // An exit file that holds no number yet counts as none.
  write_text_file(job.exit_file, "");
  EXPECT_EQ(node_job_state(job, running).state, JobOutcome::State::kRunning);
  EXPECT_EQ(node_job_state(job, {}).state, JobOutcome::State::kNeverRan);
  EXPECT_EQ(node_job_state(job, {}).exit_status, -1);
}

TEST(SubmissionRecord, EachOutcomeReadsAsItsState) {
  JobOutcome outcome;
  EXPECT_EQ(outcome.state, JobOutcome::State::kNeverRan);
  EXPECT_EQ(outcome.describe(), "never ran");
  outcome.state = JobOutcome::State::kQueued;
  EXPECT_EQ(outcome.describe(), "queued");
  outcome.state = JobOutcome::State::kRunning;
  EXPECT_EQ(outcome.describe(), "running");
  outcome.state = JobOutcome::State::kSucceeded;
  outcome.exit_status = 0;
  EXPECT_EQ(outcome.describe(), "succeeded");
  outcome.state = JobOutcome::State::kFailed;
  outcome.exit_status = 137;
  EXPECT_EQ(outcome.describe(), "failed (status 137)");
  EXPECT_FALSE(outcome.in_queue());
}

}  // namespace
}  // namespace fct::submit
