#include "framework/submit/graph_jobs.h"

#include <algorithm>
#include <functional>

#include "framework/core/error.h"
#include "framework/submit/shell_quote.h"

namespace fct::submit {

std::string kind_name(SubmissionKind kind) {
  switch (kind) {
    case SubmissionKind::kStudy:
      return "study";
    case SubmissionKind::kSweep:
      return "sweep";
    case SubmissionKind::kGrid:
      return "grid";
  }
  return "?";
}

std::vector<BatchJob> plan_graph_jobs(const GraphSubmission& submission) {
  const std::string prefix = plain_name(submission.name);
  std::map<std::string, std::size_t> job_of;  // key → index of the job that builds it
  std::map<std::string, int> depth;           // key → 1 + the deepest input built here
  std::vector<BatchJob> jobs;
  std::map<std::pair<std::string, int>, std::size_t> light_group;  // (kind, depth) → job

  const auto command = [&](const std::vector<std::string>& keys, bool array) {
    std::vector<std::string> words = submission.command;
    std::string list;
    for (const auto& key : keys) list += (list.empty() ? "" : ",") + key;
    words.insert(words.end(), {"--nodes", list});
    if (array) words.insert(words.end(), {"--node-index", kArrayTaskId});
    words.push_back("--no-progress");  // logs are files: no carriage-return bars
    return words;
  };

  for (const auto& node : submission.nodes) {
    int level = 0;
    for (const auto& input : node.inputs)
      if (depth.count(input) != 0) level = std::max(level, depth[input] + 1);
    depth[node.key] = level;
    std::size_t index;
    if (node.training) {
      index = jobs.size();
      BatchJob job;
      job.name = prefix + "-" + node.kind + "-" + node.key.substr(0, 8);
      job.description = node.label + " (node " + node.kind + " " + node.key + ")";
      jobs.push_back(std::move(job));
    } else {
      const auto group = std::make_pair(node.kind, level);
      const auto found = light_group.find(group);
      if (found != light_group.end()) {
        index = found->second;
      } else {
        index = jobs.size();
        light_group[group] = index;
        BatchJob job;
        job.name = prefix + "-" + node.kind + (level > 0 ? "-" + std::to_string(level) : "");
        job.light = true;
        jobs.push_back(std::move(job));
      }
    }
    BatchJob& job = jobs[index];
    job.keys.push_back(node.key);
    job.kinds.push_back(node.kind);
    job_of[node.key] = index;
    for (const auto& input : node.inputs) {
      const auto built_here = job_of.find(input);
      if (built_here != job_of.end()) {
        if (built_here->second == index)
          throw Error("fct submit: node " + node.key + " and its input " + input +
                      " fell into one job (" + job.name + ")");
        if (std::find(job.after.begin(), job.after.end(), built_here->second) == job.after.end())
          job.after.push_back(built_here->second);
      } else if (const auto queued = submission.queued.find(input);
                 queued != submission.queued.end()) {
        if (std::find(job.after_ids.begin(), job.after_ids.end(), queued->second) ==
            job.after_ids.end())
          job.after_ids.push_back(queued->second);
      }
    }
  }
  // An input of a later node may make an earlier light group wait for a job created after it;
  // order the jobs so that each comes after what it waits for.
  std::vector<std::size_t> order;
  std::vector<int> state(jobs.size(), 0);
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    if (state[i] == 2) return;
    if (state[i] == 1) throw Error("fct submit: the jobs of " + submission.name + " form a cycle");
    state[i] = 1;
    for (const auto d : jobs[i].after) visit(d);
    state[i] = 2;
    order.push_back(i);
  };
  for (std::size_t i = 0; i < jobs.size(); ++i) visit(i);
  std::vector<std::size_t> new_index(jobs.size());
  for (std::size_t i = 0; i < order.size(); ++i) new_index[order[i]] = i;
  std::vector<BatchJob> ordered;
  for (const auto i : order) {
    BatchJob job = jobs[i];
    for (auto& d : job.after) d = new_index[d];
    std::sort(job.after.begin(), job.after.end());
    const bool array = job.light && job.keys.size() > 1;
    if (array) job.array_size = static_cast<int64_t>(job.keys.size());
    job.fct_arguments = command(job.keys, array);
    if (job.light)
      job.description = std::to_string(job.keys.size()) + " " + job.kinds.front() + " node" +
                        (job.keys.size() > 1 ? "s (a task each)" : "");
    ordered.push_back(std::move(job));
  }
  if (!submission.summary_command.empty()) {
    BatchJob summary;
    summary.name = prefix + "-summary";
    summary.description = "summary of " + submission.name;
    summary.fct_arguments = submission.summary_command;
    summary.fct_arguments.push_back("--no-progress");
    summary.all_ranks = false;
    summary.light = true;
    for (std::size_t i = 0; i < ordered.size(); ++i) summary.after.push_back(i);
    for (const auto& [key, id] : submission.queued)
      if (std::find(summary.after_ids.begin(), summary.after_ids.end(), id) ==
          summary.after_ids.end())
        summary.after_ids.push_back(id);
    ordered.push_back(std::move(summary));
  }
  return ordered;
}

}  // namespace fct::submit
