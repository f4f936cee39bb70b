#include "framework/submit/submission_record.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace fct::submit {

std::map<std::string, NodeJob> submitted_node_jobs(const std::string& run_directory) {
  namespace fs = std::filesystem;
  std::map<std::string, NodeJob> jobs;
  const fs::path root = fs::path(run_directory) / "submit";
  if (!fs::is_directory(root)) return jobs;
  std::vector<fs::path> submissions;  // named <UTC time>-<pid>: in order of submission
  for (const auto& entry : fs::directory_iterator(root))
    if (fs::exists(entry.path() / "jobs.json")) submissions.push_back(entry.path());
  std::sort(submissions.begin(), submissions.end());
  for (const auto& submission : submissions) {
    const fs::path file = submission / "jobs.json";
    try {
      std::ifstream in(file);
      const auto record = nlohmann::json::parse(in);
      for (const auto& job : record.at("jobs")) {
        for (const auto& n : job.value("nodes", nlohmann::json::array())) {
          NodeJob node;
          node.key = n.at("key").get<std::string>();
          node.job_id = job.at("id").get<std::string>();
          node.job_name = job.at("name").get<std::string>();
          node.task = n.value("task", int64_t{-1});
          node.log = n.value("log", std::string());
          node.exit_file = n.value("exit_file", std::string());
          jobs[node.key] = node;
        }
      }
    } catch (const std::exception& e) {
      spdlog::warn("{}: not a submission record ({}); ignored", file.string(), e.what());
    }
  }
  return jobs;
}

std::string JobOutcome::describe() const {
  switch (state) {
    case State::kQueued:
      return "queued";
    case State::kRunning:
      return "running";
    case State::kSucceeded:
      return "succeeded";
    case State::kFailed:
      return "failed (status " + std::to_string(exit_status) + ")";
    case State::kNeverRan:
      break;
  }
  return "never ran";
}

JobOutcome node_job_state(const NodeJob& job, const std::map<std::string, QueueState>& queue) {
  JobOutcome outcome;
  std::ifstream in(job.exit_file);
  // An array job stays in the queue while any task runs: this task may be done already.
  if (in >> outcome.exit_status) {
    outcome.state =
        outcome.exit_status == 0 ? JobOutcome::State::kSucceeded : JobOutcome::State::kFailed;
    return outcome;
  }
  outcome.exit_status = -1;
  const auto queued = queue.find(job.job_id);
  if (queued != queue.end())
    outcome.state = queued->second == QueueState::kRunning ? JobOutcome::State::kRunning
                                                           : JobOutcome::State::kQueued;
  return outcome;
}

}  // namespace fct::submit
