// `fct eval --query Q.h5 --gallery G.h5 [--distance l2|cosine] [--json out.json]
//  [--reference-query RQ.h5 --reference-gallery RG.h5]`: CMC top-1/top-5, mAP and negative flips.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/core/atomic_file.h"
#include "framework/study/store_evaluation.h"

namespace fct::cli {
namespace {

struct EvalArguments {
  std::string query, gallery, reference_query, reference_gallery, json_path;
  std::string distance = "l2";
  int64_t block_size = 0;
  config::DistConfig dist;
};

void run_eval(const EvalArguments& args, const CommandContext& context) {
  auto runtime = make_command_runtime(args.dist, context);
  eval::RetrievalOptions options;
  options.distance = eval::parse_distance(args.distance);
  options.block_size = args.block_size;
  const auto evaluation = study::evaluate_stores(*runtime.comm, args.query, args.gallery, options,
                                                 args.reference_query, args.reference_gallery);
  if (context.rank_info.rank != 0) return;
  const auto& r = evaluation.result;
  nlohmann::json json = {
      {"query", args.query},  {"gallery", args.gallery}, {"distance", args.distance},
      {"queries", r.queries}, {"top1", r.top1},          {"top5", r.top5},
      {"mAP", r.mAP}};
  std::string line =
      fmt::format("top-1 {:.2f}%  top-5 {:.2f}%  mAP {:.2f}%", r.top1, r.top5, r.mAP);
  if (evaluation.negative_flips) {
    json["negative_flips"] = *evaluation.negative_flips;
    json["reference_query"] = args.reference_query;
    json["reference_gallery"] = args.reference_gallery;
    line += fmt::format("  negative flips {:.2f}%", *evaluation.negative_flips);
  }
  std::cout << line << fmt::format("  ({} queries, {} distance)\n", r.queries, args.distance)
            << std::flush;
  if (!args.json_path.empty()) write_text_atomically(args.json_path, json.dump(2) + "\n");
}

}  // namespace

void add_eval_command(CLI::App& app, const CommandContext& context) {
  auto args = std::make_shared<EvalArguments>();
  CLI::App* command =
      app.add_subcommand("eval", "Retrieval evaluation of a query store against a gallery store");
  command->add_option("--query", args->query, "query store (.h5)")->required();
  command->add_option("--gallery", args->gallery, "gallery store (.h5)")->required();
  command->add_option("--distance", args->distance, "l2 or cosine")
      ->capture_default_str()
      ->check(CLI::IsMember({"l2", "cosine"}));
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
