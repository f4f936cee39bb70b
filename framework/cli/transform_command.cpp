// `fct transform --model h.pt --in old.h5 --out upgraded.h5`: backfills a stored gallery.
#include <memory>

#include "framework/backfill/gallery_transform.h"
#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"

namespace fct::cli {
namespace {

struct TransformArguments {
  backfill::GalleryTransformJob job;
  config::DistConfig dist;
  bool no_progress = false;
};

}  // namespace

void add_transform_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<TransformArguments>();
  CLI::App* command = app.add_subcommand(
      "transform", "Upgrade a stored gallery with a transformation h, without images");
  command->add_option("--model", args->job.transformation_path, "transformation model file")
      ->required();
  command->add_option("--in", args->job.input_path, "store of the old model (with side_info)")
      ->required();
  command->add_option("--out", args->job.output_path, "upgraded store to write")->required();
  command->add_option("--chunk-rows", args->job.chunk_rows, "rows per rank and round")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_flag("--no-progress", args->no_progress, "no progress bar");
  add_device_options(*command, args->dist);
  command->callback([args, &context] {
    auto runtime = make_command_runtime(args->dist, context);
    backfill::GalleryTransformJob job = args->job;
    job.device = runtime.device;
    job.show_progress = !args->no_progress;
    backfill::transform_gallery(job, *runtime.comm);
  });
}

}  // namespace fct::cli
