// `fct grid GRID.yaml [key=value ...]`: a compatibility grid (framework/config/grid_config.h) —
// every model trained once, every old → new pair studied — with the matrix printed at the end and
// written as grid.{md,csv,json,svg} in the run directory, with the HTML reports of the grid and of
// each pair. `--dry-run` lists models and pairs and the grid's stage graph: what the run cache has
// and what would run.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/cli/node_selection.h"
#include "framework/config/grid_config.h"
#include "framework/graph/graph_record.h"
#include "framework/report/html_report.h"
#include "framework/study/grid_runner.h"
#include "framework/study/registered_names.h"
#include "framework/study/study_graph.h"

namespace fct::cli {
namespace {

struct GridArguments {
  std::string config_path;
  std::vector<std::string> overrides;
  bool no_progress = false;
  NodeSelection nodes;
  bool dry_run = false;
  bool summarize = false;
};

void print_plan(const config::GridConfig& grid) {
  const auto print_models = [](const char* role, const std::vector<config::GridModel>& models) {
    std::cout << role << " models (" << models.size() << "):\n";
    for (const auto& m : models) {
      std::cout << "  " << m.name << ":";
      for (const auto& o : m.overrides) std::cout << " " << o;
      std::cout << "\n";
    }
  };
  print_models("old", grid.old_models);
  print_models("new", grid.new_models);
  std::cout << "pairs (" << grid.pairs.size() << "):\n";
  for (const auto& p : grid.pairs)
    std::cout << "  " << config::pair_label(grid, p) << (p.bct ? "  (+BCT)" : "") << "\n";
  std::cout << std::flush;
}

// Each pair's report first: the grid's links to those that exist.
void write_grid_reports(const std::string& root, const report::GridResults& results) {
  for (const auto& cell : results.cells) report::write_html_report_after_run(cell.directory);
  if (report::write_html_report_after_run(root))
    std::cout << "report: " << report::default_report_path(root) << "\n" << std::flush;
}

void run_grid_command(const GridArguments& args, const CommandContext& context) {
  const auto grid = config::load_grid(args.config_path, args.overrides, study::registered_names());
  if (args.summarize) {  // after the jobs of a submitted grid: every pair must have its results
    if (context.rank_info.rank != 0) return;
    const auto results = study::grid_results(grid);
    const std::string root = study::study_run_directory(grid.base.config);
    report::write_grid_results(root, results);
    std::cout << "\n"
              << report::grid_markdown(results) << "\nresults: " << root
              << "/grid.{md,csv,json,svg}\n"
              << std::flush;
    write_grid_reports(root, results);
    return;
  }
  if (args.dry_run && context.rank_info.rank == 0) print_plan(grid);
  auto runtime = make_command_runtime(grid.base.config.dist, context);
  study::StudyOptions options;
  options.provenance = runtime.provenance;
  options.device = runtime.device;
  options.show_progress = !args.no_progress;
  options.nodes = args.nodes.keys();
  options.dry_run = args.dry_run;
  if (args.dry_run) {  // the graph: what is cached, what would run
    const auto outcome = study::run_grid(grid, *runtime.comm, options);
    if (context.rank_info.rank == 0) std::cout << "\n" << graph::status_table(outcome.plan);
    return;
  }
  spdlog::info("fct grid {}: {} old x {} new models, {} pairs; {} ranks x {} threads",
               args.config_path, grid.old_models.size(), grid.new_models.size(), grid.pairs.size(),
               context.rank_info.size, runtime.threads);
  const auto outcome = study::run_grid(grid, *runtime.comm, options);
  if (!options.nodes.empty()) return;  // one job of fct submit: the matrix comes last
  if (context.rank_info.rank == 0) {
    std::cout << "\n"
              << report::grid_markdown(outcome.results) << "\nresults: " << outcome.run_directory
              << "/grid.{md,csv,json,svg}, each pair's table in " << outcome.run_directory
              << "/pairs/<old>--<new>/results.md\n"
              << std::flush;
    write_grid_reports(outcome.run_directory, outcome.results);
  }
}

}  // namespace

void add_grid_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<GridArguments>();
  CLI::App* command = app.add_subcommand(
      "grid", "Run a compatibility grid: each model trained once, every old -> new pair studied");
  command->add_option("config", args->config_path, "grid YAML file (a study plus grid:)")
      ->required();
  command->add_option("overrides", args->overrides,
                      "overrides of the study part in Hydra's grammar (key=value, ...)");
  command->add_flag("--dry-run", args->dry_run,
                    "list the models, pairs and stage graph (cached / to run); build nothing");
  command->add_flag("--no-progress", args->no_progress, "no progress bars");
  add_node_options(*command, args->nodes);
  command->add_flag("--summarize", args->summarize,
                    "write the matrix from the pairs' results (after the jobs of fct submit)");
  command->callback([args, &context] { run_grid_command(*args, context); });
}

}  // namespace fct::cli
