// `fct embed --model M.pt [--side-info S.pt] --split test --out store.h5`: a store of one split.
#include <spdlog/spdlog.h>

#include <memory>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/study/embedding_job.h"

namespace fct::cli {
namespace {

struct EmbedArguments {
  study::EmbeddingJob job;
  config::DistConfig dist;
  bool no_progress = false;
};

}  // namespace

void add_embed_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<EmbedArguments>();
  CLI::App* command =
      app.add_subcommand("embed", "Embed every sample of a split into an HDF5 store");
  command->add_option("--model", args->job.model_path, "embedding model file (model.pt)")
      ->required();
  command->add_option("--side-info", args->job.side_info_path,
                      "side-information model file, stored as side_info");
  command->add_option("--dataset", args->job.data.name, "dataset registry name")
      ->capture_default_str();
  command->add_option("--root", args->job.data.root, "dataset directory ('' = default)");
  command->add_option("--split", args->job.split, "split to embed")->capture_default_str();
  command->add_option("--limit", args->job.data.limit, "only the first N samples (0 = all)");
  command->add_option("--batch-size", args->job.batch_size, "images per rank and batch")
      ->capture_default_str();
  command->add_option("--out", args->job.output_path, "store to write (.h5)")->required();
  command->add_flag("--no-progress", args->no_progress, "no progress bar");
  add_device_options(*command, args->dist);
  command->callback([args, &context] {
    auto runtime = make_command_runtime(args->dist, context);
    study::EmbeddingJob job = args->job;
    job.device = runtime.device;
    job.show_progress = !args->no_progress;
    study::run_embedding_job(job, *runtime.comm);
  });
}

}  // namespace fct::cli
