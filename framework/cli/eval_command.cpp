// `fct eval --query Q.h5 --gallery G.h5 [--distance l2|cosine] [--json out.json]
//  [--reference-query RQ.h5 --reference-gallery RG.h5]`: CMC top-1/top-5, mAP and negative flips.
// A partially backfilled gallery (docs/backfilling.md) is evaluated as it stands (its embeddings
// column holds the mix); the command reports how many of its items the new model re-embedded.
// Any of the files may also be a foreign embeddings file (datasets `embeddings` and `labels`
// written by h5py or numpy: store/foreign_embeddings.h), read as `fct store import` would import
// it, with a warning that nothing says which model made it.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/cli/enum_option.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/store/foreign_embeddings.h"
#include "framework/store/store_reader.h"
#include "framework/study/store_evaluation.h"

namespace fct::cli {
namespace {

struct EvalArguments {
  std::string query, gallery, reference_query, reference_gallery, json_path;
  config::Distance distance = config::Distance::kL2;
  int64_t block_size = 0;
  config::DistConfig dist;
};

// How much of a partially backfilled gallery the new model re-embedded.
struct BackfillState {
  int64_t rows = 0;
  int64_t backfilled = 0;  // embedded_by = 1
};

// nullopt for a gallery without the backfilling columns. Refuses queries of another model than
// the one the re-embedded items come from: they would be compared across two spaces.
std::optional<BackfillState> check_backfilled_gallery(const std::string& query_path,
                                                      const std::string& gallery_path) {
  // A foreign file has no backfilling columns.
  if (store::file_kind(gallery_path) == store::FileKind::kForeign) return std::nullopt;
  const store::StoreReader gallery(gallery_path);
  if (!gallery.has_column(store::kEmbeddedBy)) return std::nullopt;
  BackfillState state;
  state.rows = gallery.rows();
  state.backfilled = gallery.read_column(store::kEmbeddedBy, 0, gallery.rows())
                         .eq(store::kEmbeddedByNewModel)
                         .sum()
                         .item<int64_t>();
  if (state.backfilled > 0) {
    // A foreign query file names no model: it is refused below as "(unknown)".
    const std::string query_model =
        store::file_kind(query_path) == store::FileKind::kForeign
            ? std::string()
            : store::attribute_or_empty(store::StoreReader(query_path).attributes(),
                                        store::attribute::kModelHash);
    const std::string target =
        store::attribute_or_empty(gallery.attributes(), store::attribute::kTargetModelHash);
    if (query_model != target) {
      throw Error("fct eval: " + std::to_string(state.backfilled) + " items of the gallery " +
                  gallery_path + " are re-embedded by model " +
                  (target.empty() ? std::string("(unknown)") : target) +
                  " (target_model_hash), but the query store " + query_path +
                  " was embedded by model " +
                  (query_model.empty() ? std::string("(unknown)") : query_model) +
                  ": queries and gallery would be in different spaces");
    }
  }
  return state;
}

// The foreign files among the arguments, each with a warning (rank 0): they are evaluated, but
// nothing in them says which model, data or split they come from.
std::vector<std::string> warn_about_foreign_files(const EvalArguments& args, bool speak) {
  std::vector<std::string> foreign;
  for (const std::string* path :
       {&args.query, &args.gallery, &args.reference_query, &args.reference_gallery}) {
    if (path->empty() || store::file_kind(*path) != store::FileKind::kForeign) continue;
    foreign.push_back(*path);
    if (!speak) continue;
    const bool has_ids = store::ForeignEmbeddingsReader(*path).has_ids();
    spdlog::warn(
        "{}: not an fct store: evaluating its datasets 'embeddings' and 'labels' as they are, "
        "with no provenance (which model, dataset or split made them){}; `fct store import {} "
        "--out STORE.h5` records where they came from",
        *path,
        has_ids ? ""
                : ", and without ids: row i is item i, and a query skips the gallery item with "
                  "its own id, which is right only when query and gallery hold the same items in "
                  "the same order (else write an `ids` dataset)",
        *path);
  }
  return foreign;
}

void run_eval(const EvalArguments& args, const CommandContext& context) {
  auto runtime = make_command_runtime(args.dist, context);
  const auto foreign = warn_about_foreign_files(args, context.rank_info.rank == 0);
  // Every rank reads the same files and reaches the same verdict.
  const auto backfill = check_backfilled_gallery(args.query, args.gallery);
  eval::RetrievalOptions options;
  options.distance = args.distance;
  options.block_size = args.block_size;
  const auto evaluation = study::evaluate_stores(*runtime.comm, args.query, args.gallery, options,
                                                 args.reference_query, args.reference_gallery);
  if (context.rank_info.rank != 0) return;
  const auto& r = evaluation.result;
  nlohmann::json json = {{"query", args.query},
                         {"gallery", args.gallery},
                         {"distance", config::name_of(args.distance)},
                         {"queries", r.queries},
                         {"top1", r.top1},
                         {"top5", r.top5},
                         {"mAP", r.mAP}};
  std::string line =
      fmt::format("top-1 {:.2f}%  top-5 {:.2f}%  mAP {:.2f}%", r.top1, r.top5, r.mAP);
  if (evaluation.negative_flips) {
    json["negative_flips"] = *evaluation.negative_flips;
    json["reference_query"] = args.reference_query;
    json["reference_gallery"] = args.reference_gallery;
    line += fmt::format("  negative flips {:.2f}%", *evaluation.negative_flips);
  }
  if (!foreign.empty()) json["foreign_files"] = foreign;
  if (backfill) {
    json["gallery_backfilled"] = backfill->backfilled;
    json["gallery_rows"] = backfill->rows;
    line +=
        fmt::format("  gallery: {}/{} items from the new model, {} from h", backfill->backfilled,
                    backfill->rows, backfill->rows - backfill->backfilled);
  }
  std::cout << line
            << fmt::format("  ({} queries, {} distance)\n", r.queries,
                           config::name_of(args.distance))
            << std::flush;
  if (!args.json_path.empty()) write_text_atomically(args.json_path, json.dump(2) + "\n");
}

}  // namespace

void add_eval_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<EvalArguments>();
  CLI::App* command =
      app.add_subcommand("eval", "Retrieval evaluation of a query store against a gallery store");
  command->add_option("--query", args->query, "query store (.h5; or a foreign embeddings file)")
      ->required();
  command
      ->add_option("--gallery", args->gallery, "gallery store (.h5; or a foreign embeddings file)")
      ->required();
  add_enum_option(*command, "--distance", args->distance, "l2 or cosine (default l2)");
  command->add_option("--reference-query", args->reference_query,
                      "query store of the reference system, for negative flips");
  command->add_option("--reference-gallery", args->reference_gallery,
                      "gallery store of the reference system, for negative flips");
  command->add_option("--json", args->json_path, "write the figures as JSON (percentages)");
  command->add_option("--block-size", args->block_size, "queries per block (0 = automatic)");
  add_device_options(*command, args->dist);
  command->callback([args, &context] { run_eval(*args, context); });
}

}  // namespace fct::cli
