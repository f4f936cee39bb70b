// `fct model import KEY=VALUE... --out M.pt [--kind embedding|side_info] [--dataset NAME]`: a
// model from PyTorch — a TorchScript module (arch=torchscript path=old.ts ...) or a state dict
// (arch=resnet18_small weights=old.pth ...), with the keys of a YAML model section — as an fct
// model file that `fct embed`, `fct transform` and `fct export` read (train/model_import.h).
//
// `fct export --model M.pt --out M.ts [--state-dict M.pth]`: the way back (train/model_export.h).
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/config/config_loader.h"
#include "framework/models/model_file.h"
#include "framework/study/registered_names.h"
#include "framework/train/model_export.h"
#include "framework/train/model_import.h"

namespace fct::cli {
namespace {

struct ImportArguments {
  std::vector<std::string> settings;
  std::string kind = models::kEmbeddingKind;
  std::string name;  // "" = the imported file's stem
  config::DataConfig data;
  std::string output_path;
  config::DistConfig dist;
};

void add_import_command(CLI::App& model_command, const CommandContext& context) {
  auto args = std::make_shared<ImportArguments>();
  CLI::App* command = model_command.add_subcommand(
      "import", "Make an fct model file of a TorchScript module or a state dict from PyTorch");
  command
      ->add_option("settings", args->settings,
                   "keys of a model section: arch=torchscript path=old.ts embedding_dim=128 "
                   "[input_size=.. input_mean=[..] input_std=[..]], or arch=resnet18_small "
                   "weights=old.pth ...")
      ->required();
  command->add_option("--out", args->output_path, "the model file to write (.pt)")->required();
  command->add_option("--kind", args->kind, "embedding (φ) or side_info (ψ)")
      ->check(
          CLI::IsMember(std::vector<std::string>{models::kEmbeddingKind, models::kSideInfoKind}))
      ->capture_default_str();
  command->add_option("--name", args->name,
                      "the model's name in stores ('' = the file's name without extension)");
  command->add_option("--dataset", args->data.name, "the dataset whose images it embeds")
      ->capture_default_str();
  command->add_option("--root", args->data.root, "dataset directory ('' = default)");
  add_device_options(*command, args->dist);
  command->callback([args, &context] {
    auto runtime = make_command_runtime(args->dist, context);
    // Imported models are used as given: a state dict here is frozen by definition.
    std::vector<std::string> overrides = {"frozen=true"};
    overrides.insert(overrides.end(), args->settings.begin(), args->settings.end());
    const auto loaded = config::parse_config<config::ModelConfig>(
        "{}", "fct model import", overrides, study::registered_names());
    train::ModelImport job;
    job.model = loaded.config;
    job.data = args->data;
    job.kind = args->kind;
    const std::string& source =
        job.model.arch == "torchscript" ? job.model.path : job.model.weights;
    job.name = args->name.empty() ? std::filesystem::path(source).stem().string() : args->name;
    job.config_yaml = "model:\n" + loaded.resolved_yaml;
    job.output_path = args->output_path;
    train::import_model(job, *runtime.comm);
    if (context.rank_info.rank == 0)
      std::cout << fmt::format("model import: {} -> {} ({} model, d = {})\n", source,
                               job.output_path, job.kind, job.model.embedding_dim)
                << std::flush;
  });
}

struct ExportArguments {
  train::ModelExport job;
};

}  // namespace

void add_model_command(CLI::App& app, const CommandContext& context) {
  CLI::App* command = app.add_subcommand("model", "Model files: import from PyTorch");
  command->require_subcommand(1);
  add_import_command(*command, context);
}

void add_export_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<ExportArguments>();
  CLI::App* command = app.add_subcommand(
      "export", "Write a model as TorchScript (pixels in [0, 1] -> embeddings) and a state dict");
  command->add_option("--model", args->job.model_path, "the fct model file (model.pt)")->required();
  command->add_option("--out", args->job.torchscript_path, "the TorchScript file to write");
  command->add_option("--state-dict", args->job.state_dict_path,
                      "the state dict to write (torchvision's names, plus classifier.weight)");
  command->add_option("--dataset", args->job.dataset,
                      "whose evaluation transform the module applies ('' = the model's own)");
  command->callback([args, &context] {
    if (args->job.torchscript_path.empty() && args->job.state_dict_path.empty())
      throw CLI::ValidationError("fct export", "name at least one of --out and --state-dict");
    if (context.rank_info.rank != 0) return;
    const auto summary = train::export_model(args->job);
    std::string transform = "normalised";
    if (summary.transform.image_size > 0)
      transform = fmt::format("centre crop {} of the shorter side, resized to {}, normalised",
                              summary.transform.crop_fraction, summary.transform.image_size);
    std::cout << fmt::format(
        "export: {} ({} model, {} channels -> {}; takes pixels in [0, 1], "
        "{} as for {})\n",
        args->job.model_path, summary.kind, summary.in_channels, summary.embedding_dim, transform,
        summary.dataset);
    if (!args->job.torchscript_path.empty())
      std::cout << "  TorchScript: " << args->job.torchscript_path << "\n";
    if (!args->job.state_dict_path.empty())
      std::cout << "  state dict:  " << args->job.state_dict_path << "\n";
    std::cout << std::flush;
  });
}

}  // namespace fct::cli
