// `fct train EXP.yaml [key=value ...]`: supervised data-parallel training of one embedding model.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <memory>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/config/experiment_loader.h"
#include "framework/distributed/communicator.h"
#include "framework/study/registered_names.h"
#include "framework/train/run_directory.h"
#include "framework/train/supervised_training.h"

namespace fct::cli {
namespace {

struct TrainArguments {
  std::string config_path;
  std::vector<std::string> overrides;
  bool resume = false;
  int64_t stop_after_epochs = 0;
  bool no_progress = false;
};

void run_train(const TrainArguments& args, const CommandContext& context) {
  const auto& info = context.rank_info;
  const auto loaded =
      config::load_experiment(args.config_path, args.overrides, study::registered_names());
  const auto& config = loaded.config;

  auto runtime = make_command_runtime(config.dist, context);
  const auto& comm = runtime.comm;
  train::TrainerOptions options;
  options.run_directory = train::resolve_run_directory(config.output_dir, config.name);
  options.config_hash = loaded.hash;
  options.resume = args.resume;
  options.stop_after_epochs = args.stop_after_epochs;
  options.show_progress = !args.no_progress;
  options.device = runtime.device;

  spdlog::info("fct train {}: {} ranks x {} threads, {} communicator, run directory {}",
               args.config_path, info.size, runtime.threads, runtime.backend,
               options.run_directory);
  if (info.rank == 0) {
    ProvenanceInputs provenance = runtime.provenance;
    provenance.config_hash = loaded.hash;
    train::write_run_record(options.run_directory, loaded.resolved_yaml, provenance);
  }
  comm->barrier();

  const auto summary = train::train_supervised(config, *comm, options);
  if (summary.finished) {
    spdlog::info("done: validation accuracy {:.2f}% after {} epochs; model in {}",
                 100 * summary.val_metric, summary.epochs_done,
                 train::model_path(options.run_directory));
  } else {
    spdlog::info("stopped after {} of {} epochs; continue with --resume", summary.epochs_done,
                 config.schedule.epochs);
  }
}

}  // namespace

void add_train_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<TrainArguments>();
  CLI::App* command =
      app.add_subcommand("train", "Train one embedding model, data-parallel over the MPI ranks");
  command->add_option("config", args->config_path, "experiment YAML file")->required();
  command->add_option("overrides", args->overrides,
                      "overrides in Hydra's grammar: key=value, +key=value, ++key=value, ~key");
  command->add_flag("--resume", args->resume, "continue from the run directory's checkpoint");
  command->add_option("--stop-after-epochs", args->stop_after_epochs,
                      "end after N more epochs (the schedule still spans every epoch)");
  command->add_flag("--no-progress", args->no_progress, "no progress bar");
  command->callback([args, &context] { run_train(*args, context); });
}

}  // namespace fct::cli
