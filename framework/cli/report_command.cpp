// `fct report RUN_DIR [--out FILE.html]`: the run's HTML report (framework/report/html_report.h),
// by default RUN_DIR/report.html. `fct run`, `sweep` and `grid` write it themselves at the end;
// this command writes it again, for a run of an older build, after `fct sweep --summarize`, or
// somewhere else.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "framework/cli/commands.h"
#include "framework/report/html_report.h"
#include "framework/study/run_layout.h"

namespace fct::cli {
namespace {

struct ReportArguments {
  std::string directory;
  std::string out;
};

// A sweep keeps its points and summary in <run>/sweep/: accept the run directory too, as
// `fct status` does.
std::string report_directory(const std::string& directory) {
  namespace fs = std::filesystem;
  const std::string sweep = study::sweep_directory_of(directory);
  const bool own_results = fs::exists(directory + "/results.json") ||
                           fs::exists(directory + "/summary.json") ||
                           fs::exists(directory + "/grid.json");
  return !own_results && fs::exists(sweep + "/summary.json") ? sweep : directory;
}

void write_report(const ReportArguments& args, const CommandContext& context) {
  if (context.rank_info.rank != 0) return;  // one writer; nothing here is collective
  const std::string directory = report_directory(args.directory);
  const std::string out = args.out.empty() ? report::default_report_path(directory) : args.out;
  report::write_html_report(directory, out);
  std::cout << "report: " << out << "\n" << std::flush;
}

}  // namespace

void add_report_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<ReportArguments>();
  CLI::App* command = app.add_subcommand(
      "report", "Write a run's HTML report: results, training curves, stages, provenance");
  command->add_option("run_directory", args->directory, "run directory of a study, sweep or grid")
      ->required();
  command->add_option("--out", args->out, "the HTML file to write (default RUN_DIR/report.html)");
  command->callback([args, &context] { write_report(*args, context); });
}

}  // namespace fct::cli
