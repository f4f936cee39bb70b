// `fct submit FILE --cluster cluster/<profile>.yaml [overrides/axes] [--dry-run] [--wait]`: sends
// a study, a sweep or a grid to SLURM as its stage graph (framework/study/study_graph.h): the
// nodes neither in the run cache nor queued by an earlier submission become jobs
// (framework/submit/graph_jobs.h) — a job per model training, job arrays for the light nodes —
// each after exactly the jobs that build its inputs. The whole config is checked first; then the
// file is copied into <run directory>/submit/<time>/ with one batch script per job, the jobs are
// submitted, and their ids and nodes are printed (and kept in jobs.json). If sbatch refuses one
// job, the jobs already submitted are cancelled. --wait follows the jobs to the end, names those
// that failed or never ran with their logs, and prints the results table, the sweep summary or
// the grid matrix.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/config/cluster_profile.h"
#include "framework/config/config_loader.h"
#include "framework/config/grid_config.h"
#include "framework/config/study_config.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/provenance.h"
#include "framework/graph/graph_record.h"
#include "framework/study/node_kinds.h"
#include "framework/study/registered_names.h"
#include "framework/study/study_graph.h"
#include "framework/study/study_runner.h"
#include "framework/study/sweep_plan.h"
#include "framework/submit/batch_script.h"
#include "framework/submit/graph_jobs.h"
#include "framework/submit/job_wait.h"
#include "framework/submit/shell_quote.h"
#include "framework/submit/slurm_client.h"
#include "framework/submit/submission_record.h"
#include "framework/train/run_directory.h"

namespace fct::cli {
namespace {

namespace fs = std::filesystem;

struct SubmitArguments {
  std::string config_path;
  std::string cluster_path;
  std::vector<std::string> arguments;
  bool dry_run = false;
  bool wait = false;
  double wait_timeout_s = 0;  // 0 = no limit
};

// The file as the matching command reads it — every mistake shows now, not in a job hours later —
// and its stage graph.
struct CheckedConfig {
  submit::SubmissionKind kind = submit::SubmissionKind::kStudy;
  std::string name;
  std::string run_directory;    // absolute
  std::string sweep_directory;  // sweeps: where the summary goes
  std::string artifacts_dir;
  std::optional<config::LoadedConfig<config::StudyConfig>> study;
  std::optional<study::SweepPlan> sweep;
  std::optional<config::GridConfig> grid;
};

CheckedConfig check_config(const SubmitArguments& args) {
  CheckedConfig checked;
  const YAML::Node root = config::load_yaml_file(args.config_path);
  const config::StudyConfig* base = nullptr;
  if (root.IsMap() && root["grid"]) {
    checked.kind = submit::SubmissionKind::kGrid;
    checked.grid = config::load_grid(args.config_path, args.arguments, study::registered_names());
    base = &checked.grid->base.config;
  } else if (study::is_sweep(args.config_path, args.arguments)) {
    checked.kind = submit::SubmissionKind::kSweep;
    checked.sweep = study::plan_sweep(args.config_path, args.arguments);
    checked.sweep_directory = checked.sweep->directory;
    base = &checked.sweep->base.config;
  } else {
    checked.study = config::load_config<config::StudyConfig>(args.config_path, args.arguments,
                                                             study::registered_names());
    base = &checked.study->config;
  }
  checked.name = base->name;
  checked.run_directory = fs::absolute(study::study_run_directory(*base)).string();
  checked.artifacts_dir = study::study_artifacts_dir(*base);
  return checked;
}

graph::StageGraph graph_of(const CheckedConfig& checked, const study::StageEnvironment& env) {
  if (checked.grid) return study::grid_graph(env, *checked.grid);
  std::vector<const config::StudyConfig*> studies;
  if (checked.sweep)
    for (const auto& point : checked.sweep->points) studies.push_back(&point.loaded.config);
  else
    studies.push_back(&checked.study->config);
  return study::studies_graph(env, studies);
}

std::string compact_timestamp() {
  std::string stamp;
  for (const char c : utc_timestamp())
    if (std::isdigit(static_cast<unsigned char>(c))) stamp += c;
  return stamp.substr(0, 8) + "T" + stamp.substr(8, 6) + "Z";
}

void print_results(submit::SubmissionKind kind, const std::string& run_directory,
                   const std::string& sweep_directory) {
  const std::string file = kind == submit::SubmissionKind::kSweep  ? sweep_directory + "/summary.md"
                           : kind == submit::SubmissionKind::kGrid ? run_directory + "/grid.md"
                                                                   : run_directory + "/results.md";
  std::ifstream in(file);
  if (!in) throw Error("the jobs finished but " + file + " is missing");
  std::cout << "\n" << in.rdbuf() << "\nresults: " << file << "\n";
}

// The fct words every job of this submission runs, before its --nodes.
std::vector<std::string> job_command(const CheckedConfig& checked, const std::string& config_copy,
                                     const std::vector<std::string>& arguments) {
  const char* subcommand = checked.kind == submit::SubmissionKind::kGrid    ? "grid"
                           : checked.kind == submit::SubmissionKind::kSweep ? "sweep"
                                                                            : "run";
  std::vector<std::string> words = {subcommand, config_copy};
  words.insert(words.end(), arguments.begin(), arguments.end());
  return words;
}

void run_submit(const SubmitArguments& args, const CommandContext& context) {
  if (context.rank_info.size > 1) throw ConfigError("fct submit runs once, not under mpirun");
  const auto profile = config::load_config<config::ClusterProfile>(args.cluster_path).config;
  const auto checked = check_config(args);
  const std::string& run_directory = checked.run_directory;
  const std::string submission =
      run_directory + "/submit/" + compact_timestamp() + "-" + std::to_string(::getpid());
  const std::string config_copy = submission + "/" + fs::path(args.config_path).filename().string();

  // The graph, and what of it is neither cached nor queued by an earlier submission.
  const config::StudyConfig& base = checked.grid    ? checked.grid->base.config
                                    : checked.sweep ? checked.sweep->base.config
                                                    : checked.study->config;
  auto runtime = make_command_runtime(base.dist, context);
  study::StudyOptions options;
  const study::StageEnvironment env{*runtime.comm, options};
  const auto graph = graph_of(checked, env);
  const auto states = graph::graph_status(graph, checked.artifacts_dir);
  const auto earlier = submit::submitted_node_jobs(run_directory);
  std::vector<std::string> earlier_ids;
  for (const auto& [key, job] : earlier) earlier_ids.push_back(job.job_id);
  const auto queue = submit::job_states(earlier_ids);
  submit::GraphSubmission plan;
  plan.name = checked.name;
  plan.command = job_command(checked, config_copy, args.arguments);
  if (checked.kind != submit::SubmissionKind::kStudy) {
    plan.summary_command = plan.command;
    plan.summary_command.push_back("--summarize");
  }
  int cached = 0;
  for (std::size_t i = 0; i < graph.nodes().size(); ++i) {
    const auto& node = graph.nodes()[i];
    if (states[i].state == graph::BuildState::kCached) {
      ++cached;
      continue;
    }
    const auto sent = earlier.find(node.key);
    if (sent != earlier.end()) {
      if (submit::node_job_state(sent->second, queue).in_queue()) {
        plan.queued[node.key] =
            sent->second.job_id +
            (sent->second.task >= 0 ? "_" + std::to_string(sent->second.task) : "");
        continue;
      }
    }
    plan.nodes.push_back({node.key, node.node.kind, node.node.label, node.input_keys,
                          study::is_training_kind(node.node.kind)});
  }
  const bool tables_to_run = std::any_of(plan.nodes.begin(), plan.nodes.end(),
                                         [](const auto& n) { return n.kind == study::kTableKind; });
  if (!tables_to_run && plan.queued.empty()) plan.summary_command.clear();
  const auto jobs = submit::plan_graph_jobs(plan);

  submit::ScriptPaths common;
  common.working_directory = fs::current_path().string();
  common.log_directory = fs::path(profile.log_directory).is_absolute()
                             ? profile.log_directory
                             : run_directory + "/" + profile.log_directory;
  common.status_directory = submission + "/status";
  std::vector<submit::SubmittedJob> submitted;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    submit::SubmittedJob s{jobs[i], common, ""};
    s.paths.script = submission + "/" + (i < 10 ? "0" : "") + std::to_string(i) + "_" +
                     submit::plain_name(jobs[i].name) + ".sbatch";
    submitted.push_back(std::move(s));
  }
  // Validates the names SLURM will read (log paths) before anything is written.
  for (const auto& s : submitted) submit::log_file_pattern(s.job, s.paths);
  const auto dependencies_of = [&](const submit::SubmittedJob& s, bool placeholders) {
    std::vector<std::string> dependencies;
    for (const auto& d : s.job.after) {
      const std::string task = d.task >= 0 ? "_" + std::to_string(d.task) : "";
      dependencies.push_back(placeholders ? "<job " + jobs[d.job].name + ">" + task
                                          : submitted[d.job].id + task);
    }
    for (const auto& id : s.job.after_ids) dependencies.push_back(id);
    return dependencies;
  };

  std::cout << submit::kind_name(checked.kind) << " " << checked.name << ": "
            << graph.nodes().size() << " nodes, " << cached << " cached, " << plan.queued.size()
            << " queued by an earlier submission, " << plan.nodes.size() << " to build in "
            << jobs.size() << " jobs\n";
  if (args.dry_run) {
    std::cout << "# fct submit --dry-run (cluster profile " << profile.name << ")\n";
    for (std::size_t i = 0; i < submitted.size(); ++i)
      std::cout << "\n# job " << i + 1 << "/" << jobs.size() << ": " << jobs[i].name << "\n# "
                << submit::shell_command_line(
                       submit::sbatch_command(submitted[i].job, profile, submitted[i].paths,
                                              dependencies_of(submitted[i], true)))
                << "\n# " << submitted[i].paths.script << ":\n"
                << submit::render_batch_script(submitted[i].job, profile, submitted[i].paths);
    return;
  }
  if (jobs.empty()) {
    std::cout << "nothing to submit: every node is in the run cache " << checked.artifacts_dir
              << "\n";
    if (args.wait) print_results(checked.kind, run_directory, checked.sweep_directory);
    return;
  }

  fs::create_directories(submission);
  fs::create_directories(common.log_directory);
  fs::copy_file(args.config_path, config_copy, fs::copy_options::overwrite_existing);
  write_text_atomically(submission + "/profile.yaml", config::to_yaml(profile));
  nlohmann::json record = {{"kind", submit::kind_name(checked.kind)},
                           {"name", checked.name},
                           {"config", args.config_path},
                           {"arguments", args.arguments},
                           {"cluster_profile", args.cluster_path},
                           {"artifacts_dir", checked.artifacts_dir},
                           {"submitted", utc_timestamp()},
                           {"git_revision", git_revision()},
                           {"jobs", nlohmann::json::array()}};
  std::vector<std::string> ids;
  try {
    for (auto& s : submitted) {
      write_text_atomically(s.paths.script, submit::render_batch_script(s.job, profile, s.paths));
      fs::permissions(s.paths.script, fs::perms::owner_exec, fs::perm_options::add);
      const auto dependencies = dependencies_of(s, false);
      const auto command = submit::sbatch_command(s.job, profile, s.paths, dependencies);
      s.id = submit::sbatch(command);
      ids.push_back(s.id);
      auto nodes = nlohmann::json::array();
      for (std::size_t k = 0; k < s.job.keys.size(); ++k) {
        const int64_t task = s.job.array_size > 0 ? static_cast<int64_t>(k) : -1;
        nodes.push_back({{"key", s.job.keys[k]},
                         {"kind", s.job.kinds[k]},
                         {"task", task},
                         {"log", submit::log_file(s.job, s.paths, s.id, task)},
                         {"exit_file", submit::exit_file(s.job, s.paths, task)}});
      }
      record["jobs"].push_back({{"name", s.job.name},
                                {"id", s.id},
                                {"after", dependencies},
                                {"array_size", s.job.array_size},
                                {"light", s.job.light},
                                {"nodes", nodes},
                                {"script", s.paths.script},
                                {"log", submit::log_file_pattern(s.job, s.paths)},
                                {"sbatch", command}});
    }
  } catch (const std::exception&) {
    submit::scancel(ids);  // half a pipeline would only fail later: take it back
    throw;
  }
  write_text_atomically(submission + "/jobs.json", record.dump(2) + "\n");

  std::cout << "submitted (cluster profile " << profile.name << "):\n";
  for (const auto& s : submitted) {
    std::cout << "  " << s.id << "  " << s.job.name;
    if (s.job.array_size > 0) std::cout << "  array 0-" << s.job.array_size - 1;
    const auto dependencies = dependencies_of(s, false);
    if (!dependencies.empty()) {
      std::cout << "  after";
      for (const auto& id : dependencies) std::cout << " " << id;
    }
    std::cout << "\n";
  }
  std::cout << "scripts and jobs.json: " << submission << "\nlogs: " << common.log_directory
            << "\nfollow: fct status " << run_directory << "\n"
            << std::flush;
  if (!args.wait) return;
  submit::WaitOptions wait;
  wait.timeout_s = args.wait_timeout_s;
  if (!submit::wait_for_jobs(submitted, wait, std::cout))
    throw Error("some jobs of " + checked.name + " did not succeed (see above)");
  std::cout << "all " << jobs.size() << " jobs succeeded\n";
  print_results(checked.kind, run_directory, checked.sweep_directory);
}

}  // namespace

void add_submit_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<SubmitArguments>();
  CLI::App* command = app.add_subcommand(
      "submit", "Submit a study, sweep (job array) or grid to SLURM with a cluster profile");
  command->add_option("config", args->config_path, "study, sweep or grid YAML file")->required();
  command->add_option("arguments", args->arguments,
                      "overrides (key=value) and sweep axes (key=a,b,c), as for run/sweep/grid");
  command->add_option("--cluster", args->cluster_path, "cluster profile (cluster/<name>.yaml)")
      ->required();
  command->add_flag("--dry-run", args->dry_run, "print the sbatch commands and scripts only");
  command->add_flag("--wait", args->wait, "wait for the jobs, then print the results");
  command->add_option("--wait-timeout", args->wait_timeout_s, "give up waiting after S seconds");
  command->callback([args, &context] { run_submit(*args, context); });
}

}  // namespace fct::cli
