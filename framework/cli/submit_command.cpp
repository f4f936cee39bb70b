// `fct submit FILE --cluster cluster/<profile>.yaml [overrides/axes] [--dry-run] [--wait]`: sends
// a study, a sweep or a grid to SLURM (framework/submit/). The whole config — every sweep point,
// every grid model — is checked first; then the file is copied into
// <run directory>/submit/<time>/ with one batch script per job, each job is submitted with its
// afterok dependencies, and the job ids are printed (and kept in jobs.json). If sbatch refuses one
// job, the jobs already submitted are cancelled. --wait follows the jobs to the end and prints the
// results table, the sweep summary or the grid matrix.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "framework/cli/commands.h"
#include "framework/config/cluster_profile.h"
#include "framework/config/config_loader.h"
#include "framework/config/grid_config.h"
#include "framework/config/study_config.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/provenance.h"
#include "framework/study/sweep_plan.h"
#include "framework/submit/batch_script.h"
#include "framework/submit/shell_quote.h"
#include "framework/submit/slurm_client.h"
#include "framework/submit/submission_plan.h"
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

struct Submitted {
  submit::BatchJob job;
  submit::ScriptPaths paths;
  std::string id;
};

// Reads the file the way the matching command will, so that every mistake shows now, not in a
// job hours later. Returns what the plan needs and the run directory.
submit::SubmissionInput check_config(const SubmitArguments& args, std::string& run_directory,
                                     std::string& sweep_directory) {
  submit::SubmissionInput input;
  input.arguments = args.arguments;
  const YAML::Node root = config::load_yaml_file(args.config_path);
  std::string output_dir;
  if (root.IsMap() && root["grid"]) {
    input.kind = submit::SubmissionKind::kGrid;
    const auto grid = config::load_grid(args.config_path, args.arguments);
    input.name = grid.base.config.name;
    output_dir = grid.base.config.output_dir;
  } else if (study::is_sweep(args.config_path, args.arguments)) {
    input.kind = submit::SubmissionKind::kSweep;
    const auto plan = study::plan_sweep(args.config_path, args.arguments);
    input.name = plan.base.config.name;
    input.sweep_points = static_cast<int64_t>(plan.points.size());
    sweep_directory = plan.directory;
    output_dir = plan.base.config.output_dir;
  } else {
    const auto loaded = config::load_config<config::StudyConfig>(args.config_path, args.arguments);
    input.name = loaded.config.name;
    output_dir = loaded.config.output_dir;
  }
  run_directory = fs::absolute(train::resolve_run_directory(output_dir, input.name)).string();
  return input;
}

std::string compact_timestamp() {
  std::string stamp;
  for (const char c : utc_timestamp())
    if (std::isdigit(static_cast<unsigned char>(c))) stamp += c;
  return stamp.substr(0, 8) + "T" + stamp.substr(8, 6) + "Z";
}

// Waits until SLURM holds none of the jobs, then reads the exit status each run left behind.
bool wait_for(const std::vector<Submitted>& jobs, const std::string& status_directory,
              double timeout_s) {
  std::vector<std::string> ids;
  for (const auto& s : jobs) ids.push_back(s.id);
  const auto start = std::chrono::steady_clock::now();
  std::size_t last_count = ids.size() + 1;
  while (true) {
    const auto queued = submit::jobs_in_queue(ids);
    if (queued.empty()) break;
    if (queued.size() != last_count) {
      spdlog::info("waiting for {} of {} jobs", queued.size(), ids.size());
      last_count = queued.size();
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (timeout_s > 0 && elapsed > timeout_s)
      throw Error("jobs still queued after " + std::to_string(static_cast<int>(timeout_s)) +
                  " s: they go on; follow them with squeue");
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  bool all_ok = true;
  for (const auto& s : jobs) {
    const int64_t tasks = std::max<int64_t>(s.job.array_size, 0);
    for (int64_t t = 0; t < std::max<int64_t>(tasks, 1); ++t) {
      const std::string tag =
          submit::plain_name(s.job.name) + (tasks > 0 ? "_" + std::to_string(t) : "");
      std::ifstream in(status_directory + "/" + tag + ".exit");
      int status = -1;
      if (!(in >> status)) {
        std::cout << "  " << tag << " (job " << s.id
                  << "): did not finish — cancelled, timed out, or a job it waits for failed; "
                     "log: "
                  << submit::log_file(s.job, s.paths, s.id, tasks > 0 ? t : -1) << "\n";
        all_ok = false;
      } else if (status != 0) {
        std::cout << "  " << tag << " (job " << s.id << "): failed with status " << status
                  << "; log: " << submit::log_file(s.job, s.paths, s.id, tasks > 0 ? t : -1)
                  << "\n";
        all_ok = false;
      }
    }
  }
  return all_ok;
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

void run_submit(const SubmitArguments& args, const CommandContext& context) {
  if (context.rank_info.size > 1) throw ConfigError("fct submit runs once, not under mpirun");
  const auto profile = config::load_config<config::ClusterProfile>(args.cluster_path).config;
  std::string run_directory, sweep_directory;
  auto input = check_config(args, run_directory, sweep_directory);
  const std::string submission =
      run_directory + "/submit/" + compact_timestamp() + "-" + std::to_string(::getpid());
  input.config_copy = submission + "/" + fs::path(args.config_path).filename().string();
  const auto jobs = submit::plan_jobs(input);

  submit::ScriptPaths common;
  common.working_directory = fs::current_path().string();
  common.log_directory = fs::path(profile.log_directory).is_absolute()
                             ? profile.log_directory
                             : run_directory + "/" + profile.log_directory;
  common.status_directory = submission + "/status";

  std::vector<Submitted> submitted;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    Submitted s{jobs[i], common, ""};
    s.paths.script = submission + "/" + (i < 10 ? "0" : "") + std::to_string(i) + "_" +
                     submit::plain_name(jobs[i].name) + ".sbatch";
    submitted.push_back(std::move(s));
  }
  // Validates the names SLURM will read (log paths) before anything is written.
  for (const auto& s : submitted) submit::log_file_pattern(s.job, s.paths);

  if (args.dry_run) {
    std::cout << "# fct submit --dry-run: " << jobs.size() << " jobs of "
              << submit::kind_name(input.kind) << " " << input.name << " (cluster profile "
              << profile.name << ")\n";
    for (std::size_t i = 0; i < submitted.size(); ++i) {
      std::vector<std::string> dependencies;
      for (const auto d : submitted[i].job.after)
        dependencies.push_back("<job " + jobs[d].name + ">");
      std::cout << "\n# job " << i + 1 << "/" << jobs.size() << ": " << jobs[i].name << "\n# "
                << submit::shell_command_line(submit::sbatch_command(
                       submitted[i].job, profile, submitted[i].paths, dependencies))
                << "\n# " << submitted[i].paths.script << ":\n"
                << submit::render_batch_script(submitted[i].job, profile, submitted[i].paths);
    }
    return;
  }

  fs::create_directories(submission);
  fs::create_directories(common.log_directory);
  fs::copy_file(args.config_path, input.config_copy, fs::copy_options::overwrite_existing);
  write_text_atomically(submission + "/profile.yaml", config::to_yaml(profile));
  nlohmann::json record = {{"kind", submit::kind_name(input.kind)},
                           {"name", input.name},
                           {"config", args.config_path},
                           {"arguments", args.arguments},
                           {"cluster_profile", args.cluster_path},
                           {"submitted", utc_timestamp()},
                           {"git_revision", git_revision()},
                           {"jobs", nlohmann::json::array()}};
  std::vector<std::string> ids;
  try {
    for (auto& s : submitted) {
      write_text_atomically(s.paths.script, submit::render_batch_script(s.job, profile, s.paths));
      fs::permissions(s.paths.script, fs::perms::owner_exec, fs::perm_options::add);
      std::vector<std::string> dependencies;
      for (const auto d : s.job.after) dependencies.push_back(submitted[d].id);
      const auto command = submit::sbatch_command(s.job, profile, s.paths, dependencies);
      s.id = submit::sbatch(command);
      ids.push_back(s.id);
      record["jobs"].push_back({{"name", s.job.name},
                                {"id", s.id},
                                {"after", dependencies},
                                {"array_size", s.job.array_size},
                                {"script", s.paths.script},
                                {"log", submit::log_file_pattern(s.job, s.paths)},
                                {"sbatch", command}});
    }
  } catch (const std::exception&) {
    submit::scancel(ids);  // half a pipeline would only fail later: take it back
    throw;
  }
  write_text_atomically(submission + "/jobs.json", record.dump(2) + "\n");

  std::cout << "submitted " << submit::kind_name(input.kind) << " " << input.name << " ("
            << jobs.size() << " jobs, cluster profile " << profile.name << "):\n";
  for (const auto& s : submitted) {
    std::cout << "  " << s.id << "  " << s.job.name;
    if (s.job.array_size > 0) std::cout << "  array 0-" << s.job.array_size - 1;
    if (!s.job.after.empty()) {
      std::cout << "  after";
      for (const auto d : s.job.after) std::cout << " " << submitted[d].id;
    }
    std::cout << "\n";
  }
  std::cout << "scripts and jobs.json: " << submission << "\nlogs: " << common.log_directory << "\n"
            << std::flush;
  if (!args.wait) return;
  if (!wait_for(submitted, common.status_directory, args.wait_timeout_s))
    throw Error("some jobs of " + input.name + " did not succeed (see above)");
  std::cout << "all " << jobs.size() << " jobs succeeded\n";
  print_results(input.kind, run_directory, sweep_directory);
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
