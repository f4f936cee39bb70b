// `fct store import FOREIGN.h5 --out STORE.h5 [--embeddings NAME] [--labels NAME] [--ids NAME]
//  [--model-name NAME] [--dataset NAME] [--split NAME]`: embeddings computed outside fct (an HDF5
// file written by h5py or numpy: store/foreign_embeddings.h) become an fct store, with provenance
// saying which file they came from and what it could not tell (store/store_import.h).
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/store/store_import.h"

namespace fct::cli {
namespace {

struct ImportArguments {
  store::StoreImportJob job;
  config::DistConfig dist;
};

void add_import_command(CLI::App& store_command, const CommandContext& context) {
  auto args = std::make_shared<ImportArguments>();
  CLI::App* command = store_command.add_subcommand(
      "import", "Make an fct store of embeddings and labels written by h5py or numpy");
  command->add_option("file", args->job.input_path, "the HDF5 file to import")->required();
  command->add_option("--out", args->job.output_path, "the store to write (.h5)")->required();
  command
      ->add_option("--embeddings", args->job.names.embeddings,
                   "dataset of the embeddings, N x d, floats")
      ->capture_default_str();
  command->add_option("--labels", args->job.names.labels, "dataset of the labels, N, integers")
      ->capture_default_str();
  command->add_option("--ids", args->job.names.ids,
                      "dataset of the item ids, N, integers (default: `ids` if the file has it, "
                      "else the row indices)");
  command->add_option("--model-name", args->job.model_name,
                      "the model that computed the embeddings (the store's `model` attribute)");
  command->add_option("--dataset", args->job.dataset, "the data set the items come from");
  command->add_option("--split", args->job.split, "the split of that data set");
  command->add_option("--chunk-rows", args->job.chunk_rows, "rows per rank and round")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_device_options(*command, args->dist);
  command->callback([args, &context] {
    auto runtime = make_command_runtime(args->dist, context);
    const auto summary = store::import_store(*runtime.comm, args->job);
    if (context.rank_info.rank != 0) return;
    std::string missing;
    for (const auto& name : summary.missing) missing += (missing.empty() ? "" : ", ") + name;
    std::cout << fmt::format("store import: {} rows x {} from {} into {}\n", summary.rows,
                             summary.embedding_dim, args->job.input_path, args->job.output_path)
              << fmt::format("  not in the file (recorded as imported_missing): {}{}\n", missing,
                             summary.ids_from_file ? "" : "; ids are the row indices")
              << std::flush;
  });
}

}  // namespace

void add_store_command(CLI::App& app, const CommandContext& context) {
  CLI::App* command = app.add_subcommand("store", "Embedding stores: import");
  command->require_subcommand(1);
  add_import_command(*command, context);
}

}  // namespace fct::cli
