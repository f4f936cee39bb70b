#include "framework/submit/graph_jobs.h"

#include <algorithm>
#include <functional>
#include <tuple>

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

namespace {

// The jobs a light node waits for, which decide whether it may share an array with others.
struct LightGroup {
  std::string kind;
  int level = 0;
  std::vector<JobDependency> after;
  std::vector<std::string> after_ids;
  bool operator<(const LightGroup& o) const {
    return std::tie(kind, level, after, after_ids) <
           std::tie(o.kind, o.level, o.after, o.after_ids);
  }
};

template <class T>
void add_once(std::vector<T>& list, const T& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

}  // namespace

std::vector<BatchJob> plan_graph_jobs(const GraphSubmission& submission) {
  const std::string prefix = plain_name(submission.name);
  // key → the job that builds it and its place in that job (its array task, if the job ends up
  // an array)
  std::map<std::string, JobDependency> built_by;
  std::map<std::string, int> depth;  // key → 1 + the deepest input built here
  std::vector<BatchJob> jobs;
  std::map<LightGroup, std::size_t> light_group;  // light nodes that wait for the same → one job

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
    // What it waits for: the tasks that build its inputs here, the queued jobs of the others
    // (inputs in neither are in the cache).
    std::vector<JobDependency> after;
    std::vector<std::string> after_ids;
    for (const auto& input : node.inputs) {
      if (const auto here = built_by.find(input); here != built_by.end())
        add_once(after, here->second);
      else if (const auto queued = submission.queued.find(input); queued != submission.queued.end())
        add_once(after_ids, queued->second);
    }
    std::sort(after.begin(), after.end());
    std::sort(after_ids.begin(), after_ids.end());
    std::size_t index;
    if (node.training) {
      index = jobs.size();
      BatchJob job;
      job.name = prefix + "-" + node.kind + "-" + node.key.substr(0, 8);
      job.description = node.label + " (node " + node.kind + " " + node.key + ")";
      jobs.push_back(std::move(job));
    } else {
      // Light nodes of one kind and depth share a job array only when they wait for exactly
      // the same tasks: an array's dependency holds for all its tasks.
      const LightGroup group{node.kind, level, after, after_ids};
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
    for (const auto& d : after)
      if (d.job == index)
        throw Error("fct submit: node " + node.key + " and an input of it fell into one job (" +
                    job.name + ")");
    built_by[node.key] = {index, static_cast<int64_t>(job.keys.size())};
    job.keys.push_back(node.key);
    job.kinds.push_back(node.kind);
    for (const auto& d : after) add_once(job.after, d);
    for (const auto& id : after_ids) add_once(job.after_ids, id);
  }
  // A task of a job that stays a single job is the whole job.
  for (auto& job : jobs)
    for (auto& d : job.after)
      if (jobs[d.job].keys.size() == 1 || !jobs[d.job].light) d.task = -1;
  // Light jobs of one kind and depth that wait for different tasks: all but the first are told
  // apart by their first node's key ("-store-1", "-store-1-3f2a9c01", ...).
  std::map<std::string, int> name_count;
  for (auto& job : jobs)
    if (name_count[job.name]++ > 0) job.name += "-" + job.keys.front().substr(0, 8);
  // An input of a later node may make an earlier light group wait for a job created after it;
  // order the jobs so that each comes after what it waits for.
  std::vector<std::size_t> order;
  std::vector<int> state(jobs.size(), 0);
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    if (state[i] == 2) return;
    if (state[i] == 1) throw Error("fct submit: the jobs of " + submission.name + " form a cycle");
    state[i] = 1;
    for (const auto& d : jobs[i].after) visit(d.job);
    state[i] = 2;
    order.push_back(i);
  };
  for (std::size_t i = 0; i < jobs.size(); ++i) visit(i);
  std::vector<std::size_t> new_index(jobs.size());
  for (std::size_t i = 0; i < order.size(); ++i) new_index[order[i]] = i;
  std::vector<BatchJob> ordered;
  for (const auto i : order) {
    BatchJob job = jobs[i];
    for (auto& d : job.after) d.job = new_index[d.job];
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
    for (std::size_t i = 0; i < ordered.size(); ++i) summary.after.push_back({i, -1});
    for (const auto& [key, id] : submission.queued) add_once(summary.after_ids, id);
    ordered.push_back(std::move(summary));
  }
  return ordered;
}

}  // namespace fct::submit
