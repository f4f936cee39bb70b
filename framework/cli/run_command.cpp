// `fct run STUDY.yaml [key=value ...]`: the whole FCT study (framework/study/study_runner.h), with
// the results table printed at the end and written beside the stages' outputs, and the run's
// HTML report (report.html).
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/cli/node_selection.h"
#include "framework/config/config_loader.h"
#include "framework/graph/graph_record.h"
#include "framework/report/html_report.h"
#include "framework/study/registered_names.h"
#include "framework/study/study_runner.h"

namespace fct::cli {
namespace {

struct RunArguments {
  std::string config_path;
  std::vector<std::string> overrides;
  bool no_progress = false;
  NodeSelection nodes;
  bool dry_run = false;
  std::string part;
};

void run_study_command(const RunArguments& args, const CommandContext& context) {
  const auto loaded = config::load_config<config::StudyConfig>(args.config_path, args.overrides,
                                                               study::registered_names());
  auto runtime = make_command_runtime(loaded.config.dist, context);
  study::StudyOptions options;
  options.provenance = runtime.provenance;
  options.device = runtime.device;
  options.show_progress = !args.no_progress;
  options.nodes = args.nodes.keys();
  options.part = args.part;
  options.dry_run = args.dry_run;
  spdlog::info("fct run {}: {} ranks x {} threads, {} communicator", args.config_path,
               context.rank_info.size, runtime.threads, runtime.backend);
  const auto outcome = study::run_study(loaded, *runtime.comm, options);
  if (args.dry_run) {
    if (context.rank_info.rank == 0) std::cout << "\n" << graph::status_table(outcome.plan);
    return;
  }
  if (!outcome.finished) {  // a part, or the nodes of one job: the table comes later
    spdlog::info("{} of {} done", args.part.empty() ? "the nodes" : "part " + args.part,
                 loaded.config.name);
    return;
  }
  if (context.rank_info.rank == 0) {
    std::cout << "\nFCT study " << loaded.config.name << " (query/gallery, %, "
              << loaded.config.eval.split << " split, "
              << config::name_of(loaded.config.eval.distance) << " distance)\n"
              << report::format_results_table(outcome.rows) << "results: " << outcome.run_directory
              << "/results.{json,csv,md}\n"
              << std::flush;
    if (report::write_html_report_after_run(outcome.run_directory))
      std::cout << "report: " << report::default_report_path(outcome.run_directory) << "\n"
                << std::flush;
  }
}

}  // namespace

void add_run_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<RunArguments>();
  CLI::App* command = app.add_subcommand(
      "run", "Run an FCT study end to end (stages already done for the same config are skipped)");
  command->add_option("config", args->config_path, "study YAML file")->required();
  command->add_option("overrides", args->overrides,
                      "overrides in Hydra's grammar: key=value, +key=value, ++key=value, ~key");
  command->add_flag("--no-progress", args->no_progress, "no progress bars");
  add_node_options(*command, args->nodes);
  command->add_flag("--dry-run", args->dry_run,
                    "show the study's stage graph (cached / to run) and build nothing");
  command
      ->add_option("--part", args->part,
                   "run one part (a SLURM job of fct submit): old, side_info, new, bct (after old) "
                   "or compatibility (after all four)")
      ->check(CLI::IsMember(study::study_parts()));
  command->callback([args, &context] { run_study_command(*args, context); });
}

}  // namespace fct::cli
