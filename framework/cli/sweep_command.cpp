// `fct sweep STUDY.yaml [key=value ...] [key=a,b,c ...]`: an ablation sweep of an FCT study. The
// axes come from the file's `sweep:` block and from the command line in Hydra's multirun grammar
// (framework/config/sweep.h); every point is the study with those overrides, run in its own
// directory <output_dir>/sweep/<NNN_key=value...> with its resolved config. A point that finished
// with the same resolved config is skipped when the sweep is launched again. At the end: a summary
// across points (summary.{md,csv,json}) and a plot of the first swept key against top-1 and mAP
// (summary.svg), and the HTML reports of every point and of the sweep. Every point's config is
// checked before the first one starts. On SLURM (fct submit) the sweep's graph nodes are jobs run
// with --nodes, and a last job writes the summary
// (--summarize); --point N runs one point alone.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/cli/node_selection.h"
#include "framework/config/config_loader.h"
#include "framework/config/study_config.h"
#include "framework/config/sweep.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/graph/graph_record.h"
#include "framework/report/html_report.h"
#include "framework/report/sweep_summary.h"
#include "framework/study/study_runner.h"
#include "framework/study/sweep_plan.h"

namespace fct::cli {
namespace {

struct SweepArguments {
  std::string config_path;
  std::vector<std::string> arguments;
  bool no_progress = false;
  NodeSelection nodes;
  bool dry_run = false;
  int64_t point = -1;      // run this point only (a task of a SLURM job array)
  bool summarize = false;  // only collect the finished points' results into the summary
};

// The rows of a point that already finished with this resolved config; nullopt otherwise.
std::optional<std::vector<report::ResultRow>> finished_rows(const study::PlannedPoint& planned) {
  const std::string marker = planned.directory + "/sweep_point.json";
  std::ifstream in(marker);
  if (!in) return std::nullopt;
  try {
    const auto record = nlohmann::json::parse(in);
    if (record.at("config_hash").get<std::string>() != to_hex(planned.loaded.hash))
      return std::nullopt;
    return report::results_from_json(record.at("results"), marker);
  } catch (const std::exception& e) {
    spdlog::warn("sweep: {} is unreadable ({}); running the point again", marker, e.what());
    return std::nullopt;
  }
}

void run_sweep(const SweepArguments& args, const CommandContext& context) {
  const auto sweep = study::plan_sweep(args.config_path, args.arguments);
  const auto& base = sweep.base;
  const auto& plan = sweep.points;
  const std::string& sweep_dir = sweep.directory;
  const bool rank0 = context.rank_info.rank == 0;
  if (args.dry_run) {
    if (rank0)
      for (const auto& p : plan) std::cout << p.directory << "  " << p.point.label << "\n";
    // The one graph of every point: what the points share, what is cached, what would run.
    auto runtime = make_command_runtime(base.config.dist, context);
    study::StudyOptions options;
    options.dry_run = true;
    options.artifacts_dir = study::study_artifacts_dir(base.config);
    std::vector<const config::LoadedConfig<config::StudyConfig>*> points;
    for (const auto& p : plan) points.push_back(&p.loaded);
    const auto outcomes = study::run_studies(points, *runtime.comm, options);
    if (rank0 && !outcomes.empty())
      std::cout << "\n" << graph::status_table(outcomes.front().plan) << std::flush;
    return;
  }

  if (args.point >= static_cast<int64_t>(plan.size()))
    throw ConfigError("--point " + std::to_string(args.point) + ": the sweep has " +
                      std::to_string(plan.size()) + " points (0-" +
                      std::to_string(plan.size() - 1) + ")");
  const std::string title =
      "Sweep of " + base.config.name + " (" + std::to_string(plan.size()) + " points)";
  const auto print_summary = [&](const std::vector<report::SweepPointResult>& results) {
    if (!rank0) return;
    report::write_sweep_summary(sweep_dir, results, title);
    std::cout << "\n"
              << report::sweep_markdown(results, title) << "summary: " << sweep_dir
              << "/summary.{md,csv,json,svg}\n"
              << std::flush;
    // Each point's report first: the sweep's links to those that exist.
    for (const auto& result : results) report::write_html_report_after_run(result.directory);
    if (report::write_html_report_after_run(sweep_dir))
      std::cout << "report: " << report::default_report_path(sweep_dir) << "\n" << std::flush;
  };
  if (args.summarize) {  // after the points ran elsewhere (a job array): every one must be done
    std::vector<report::SweepPointResult> results;
    std::string missing;
    for (const auto& p : plan) {
      if (auto rows = finished_rows(p))
        results.push_back({p.point, p.directory, std::move(*rows)});
      else
        missing +=
            "\n  " + std::to_string(p.point.index) + " " + p.point.label + " (" + p.directory + ")";
    }
    if (!missing.empty())
      throw Error("sweep " + base.config.name + ": points not finished:" + missing);
    print_summary(results);
    return;
  }

  auto runtime = make_command_runtime(base.config.dist, context);
  study::StudyOptions options;
  options.provenance = runtime.provenance;
  options.device = runtime.device;
  options.show_progress = !args.no_progress;
  options.nodes = args.nodes.keys();
  // The points still to run form one graph: what they share (φ_old, φ_new, BCT, their stores
  // when only ψ or h changes) is built once, and a node made before is taken from the run cache.
  // Every point reads the cache of the sweep's base study, so points also share with each other
  // when they run as separate jobs of an array.
  std::vector<std::optional<report::SweepPointResult>> results(plan.size());
  std::vector<const config::LoadedConfig<config::StudyConfig>*> to_run;
  std::vector<std::size_t> to_run_index;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (args.point >= 0 && static_cast<int64_t>(i) != args.point) continue;
    const auto& p = plan[i];
    // Every rank reads the same marker, so every rank skips the same points.
    if (auto rows = finished_rows(p)) {
      spdlog::info("sweep point {}/{} ({}) finished before: skipped", i + 1, plan.size(),
                   p.point.label);
      results[i] = report::SweepPointResult{p.point, p.directory, std::move(*rows)};
      continue;
    }
    spdlog::info("sweep point {}/{}: {}", i + 1, plan.size(), p.point.label);
    to_run.push_back(&p.loaded);
    to_run_index.push_back(i);
  }
  options.artifacts_dir = study::study_artifacts_dir(base.config);
  options.graph_directory = sweep_dir;
  const auto outcomes = study::run_studies(to_run, *runtime.comm, options);
  for (std::size_t j = 0; j < outcomes.size(); ++j) {
    const auto& p = plan[to_run_index[j]];
    if (!outcomes[j].finished) continue;  // a job of fct submit that did not reach its table
    if (rank0)
      write_text_atomically(p.directory + "/sweep_point.json",
                            nlohmann::json{{"overrides", p.point.overrides},
                                           {"config_hash", to_hex(p.loaded.hash)},
                                           {"results", report::results_json(outcomes[j].rows)}}
                                    .dump(2) +
                                "\n");
    results[to_run_index[j]] = report::SweepPointResult{p.point, p.directory, outcomes[j].rows};
  }
  runtime.comm->barrier();
  // One point of many, or the nodes of one job: the summary comes from --summarize.
  if (args.point >= 0 || !options.nodes.empty()) return;
  std::vector<report::SweepPointResult> all;
  for (auto& result : results)
    if (result) all.push_back(std::move(*result));
  print_summary(all);
}

}  // namespace

void add_sweep_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<SweepArguments>();
  CLI::App* command = app.add_subcommand(
      "sweep", "Run an ablation sweep of an FCT study (finished points are skipped)");
  command->add_option("config", args->config_path, "study YAML file (with or without sweep:)")
      ->required();
  command->add_option(
      "arguments", args->arguments,
      "overrides (key=value) and sweep axes (key=a,b,c | range(0,4) | choice(a,b))");
  command->add_flag("--dry-run", args->dry_run, "list the points and their directories only");
  command
      ->add_option("--point", args->point,
                   "run only point N (0-based; a task of a SLURM job array)")
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--summarize", args->summarize,
                    "write the summary of points that ran elsewhere (fails if one is missing)");
  command->add_flag("--no-progress", args->no_progress, "no progress bars");
  add_node_options(*command, args->nodes);
  command->callback([args, &context] { run_sweep(*args, context); });
}

}  // namespace fct::cli
