#include "framework/submit/submission_plan.h"

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

std::vector<BatchJob> plan_jobs(const SubmissionInput& input) {
  const std::string prefix = plain_name(input.name);
  const auto command = [&](const std::string& subcommand, std::vector<std::string> extra) {
    std::vector<std::string> words = {subcommand, input.config_copy};
    words.insert(words.end(), input.arguments.begin(), input.arguments.end());
    words.insert(words.end(), extra.begin(), extra.end());
    words.push_back("--no-progress");  // logs are files: no carriage-return bars
    return words;
  };
  std::vector<BatchJob> jobs;
  switch (input.kind) {
    case SubmissionKind::kStudy: {
      const auto part = [&](const std::string& name, const std::string& what,
                            std::vector<std::size_t> after) {
        BatchJob job;
        job.name = prefix + "-" + name;
        job.description = what + " of study " + input.name;
        job.fct_arguments = command("run", {"--part", name});
        job.after = std::move(after);
        jobs.push_back(std::move(job));
      };
      part("old", "the old model", {});
      part("side_info", "the side-information model", {});
      part("new", "the new model", {});
      part("bct", "the BCT model", {0});
      part("compatibility", "stores, transformations and evaluation", {0, 1, 2, 3});
      break;
    }
    case SubmissionKind::kSweep: {
      BatchJob points;
      points.name = prefix + "-points";
      points.description = std::to_string(input.sweep_points) + " points of sweep " + input.name;
      points.fct_arguments = command("sweep", {"--point", kArrayTaskId});
      points.array_size = input.sweep_points;
      jobs.push_back(std::move(points));
      BatchJob summary;
      summary.name = prefix + "-summary";
      summary.description = "summary of sweep " + input.name;
      summary.fct_arguments = command("sweep", {"--summarize"});
      summary.after = {0};
      summary.all_ranks = false;
      jobs.push_back(std::move(summary));
      break;
    }
    case SubmissionKind::kGrid: {
      BatchJob grid;
      grid.name = prefix + "-grid";
      grid.description = "compatibility grid " + input.name;
      grid.fct_arguments = command("grid", {});
      jobs.push_back(std::move(grid));
      break;
    }
  }
  return jobs;
}

}  // namespace fct::submit
