// `fct`: the command-line entry point. MPI starts here, every subcommand runs inside, and errors
// from any layer are caught here, once: the rank reports its message and, in a multi-rank job,
// ends the whole job (MPI_Abort) so that no peer waits forever in a collective.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>

#include "framework/cli/commands.h"
#include "framework/core/allocator_tuning.h"
#include "framework/core/atomic_file.h"
#include "framework/core/logging.h"
#include "framework/core/preemption.h"
#include "framework/distributed/runtime.h"

int main(int argc, char** argv) {
  std::vector<std::string> command_line(argv, argv + argc);
  const std::string allocator = fct::tune_allocator();  // before anything allocates much
  fct::distributed::Runtime runtime(&argc, &argv);
  const auto& info = runtime.info();
  fct::configure_logging(info.rank, info.size);
  spdlog::debug("{}", allocator);
  fct::install_preemption_handler();

  fct::cli::CommandContext context{info, command_line,
                                   fct::distributed::Runtime::mpi_library_version()};
  CLI::App app{"fct: forward-compatible training of image-embedding models"};
  app.require_subcommand(1);
  fct::cli::add_train_command(app, context);
  fct::cli::add_run_command(app, context);
  fct::cli::add_embed_command(app, context);
  fct::cli::add_transform_command(app, context);
  fct::cli::add_eval_command(app, context);
  fct::cli::add_data_command(app, context);
  fct::cli::add_sweep_command(app, context);
  fct::cli::add_grid_command(app, context);
  fct::cli::add_submit_command(app, context);
  fct::cli::add_backfill_command(app, context);
  fct::cli::add_cache_command(app, context);
  fct::cli::add_status_command(app, context);
  fct::cli::add_report_command(app, context);
  fct::cli::add_store_command(app, context);
  fct::cli::add_model_command(app, context);
  fct::cli::add_export_command(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parses the same arguments, so every rank leaves here the same way.
    return info.rank == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 2);
  } catch (const fct::Preempted& e) {
    // Every rank agreed to stop at the same point: a clean exit, for the batch script to requeue.
    spdlog::warn("{}", e.what());
    const char* record = std::getenv(fct::kPreemptionRecordVariable);
    if (info.rank == 0 && record != nullptr && *record != '\0') {
      try {
        fct::write_text_atomically(record, e.place() + "\n");
      } catch (const std::exception& failure) {  // the checkpoint is written: still exit 75
        spdlog::warn("cannot record where the run stopped in {}: {}", record, failure.what());
      }
    }
    return fct::kPreemptedExit;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    if (info.size > 1) fct::distributed::Runtime::abort_job(1);
    return 1;
  }
  return 0;
}
