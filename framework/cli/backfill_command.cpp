// `fct backfill plan --store upgraded.h5 --order random|sigma|distance [--seed S]
//  [--new-store new.h5]` and `fct backfill apply --store upgraded.h5 --model new.pt [--data NAME]
//  [--root DIR] [--budget K] [--batch-size B]`: partial backfilling of an upgraded gallery
//  (docs/backfilling.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "framework/backfill/backfill_apply.h"
#include "framework/backfill/backfill_plan.h"
#include "framework/cli/command_runtime.h"
#include "framework/cli/commands.h"
#include "framework/eval/backfill_order.h"

namespace fct::cli {
namespace {

struct PlanArguments {
  backfill::BackfillPlanJob job;
  config::DistConfig dist;
};

struct ApplyArguments {
  backfill::BackfillApplyJob job;
  config::DistConfig dist;
  bool no_progress = false;
};

void add_plan_command(CLI::App& backfill, const CommandContext& context) {
  auto args = std::make_shared<PlanArguments>();
  CLI::App* command = backfill.add_subcommand(
      "plan", "Fix the order in which an upgraded gallery's items get their new embedding");
  command->add_option("--store", args->job.store_path, "upgraded store (fct transform)")
      ->required();
  command->add_option("--order", args->job.order, "backfilling order")
      ->capture_default_str()
      ->check(CLI::IsMember(eval::backfill_orders().names()));
  command->add_option("--seed", args->job.seed, "seed of the random order")->capture_default_str();
  command->add_option("--new-store", args->job.new_store_path,
                      "the new model's store of the same split (--order distance, an oracle)");
  add_device_options(*command, args->dist);
  command->callback([args, &context] {
    auto runtime = make_command_runtime(args->dist, context);
    const auto summary = backfill::run_backfill_plan(args->job, *runtime.comm);
    if (context.rank_info.rank == 0) {
      std::cout << fmt::format("backfill plan: {} items of {} in the order '{}'\n", summary.rows,
                               args->job.store_path, summary.order)
                << std::flush;
    }
  });
}

void add_apply_command(CLI::App& backfill, const CommandContext& context) {
  auto args = std::make_shared<ApplyArguments>();
  args->job.data.name.clear();  // default: the store's dataset
  CLI::App* command = backfill.add_subcommand(
      "apply", "Re-embed the next items of a planned store from their images, in place");
  command->add_option("--store", args->job.store_path, "planned store (fct backfill plan)")
      ->required();
  command
      ->add_option("--model", args->job.model_path,
                   "the new model file (the store's target_model_hash)")
      ->required();
  command->add_option("--dataset", args->job.data.name,
                      "dataset registry name (default: the store's 'dataset')");
  // The spelling of releases before fct embed's --dataset was adopted everywhere: still read.
  command
      ->add_option_function<std::string>(
          "--data",
          [args, &context](const std::string& name) {
            if (context.rank_info.rank == 0)
              spdlog::warn("fct backfill apply: --data is deprecated; use --dataset");
            args->job.data.name = name;
          },
          "deprecated: --dataset")
      ->group("");  // hidden from --help
  command->add_option("--root", args->job.data.root, "dataset directory ('' = default)");
  command
      ->add_option("--budget", args->job.budget,
                   "items to re-embed in this run (0 = every remaining item)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--batch-size", args->job.batch_size,
                   "items per batch, all ranks together (a kill loses at most one batch)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_flag("--no-progress", args->no_progress, "no progress bar");
  add_device_options(*command, args->dist);
  command->callback([args, &context] {
    auto runtime = make_command_runtime(args->dist, context);
    backfill::BackfillApplyJob job = args->job;
    job.device = runtime.device;
    job.show_progress = !args->no_progress;
    const auto s = backfill::run_backfill_apply(job, *runtime.comm);
    if (context.rank_info.rank == 0) {
      std::cout << fmt::format(
                       "backfill apply: re-embedded {} items in this run ({} batches, {:.1f} s); "
                       "{}/{} re-embedded ({:.2f}%), {} remaining\n",
                       s.reembedded, s.batches, s.seconds, s.total, s.rows,
                       s.rows > 0 ? 100.0 * s.total / s.rows : 100.0, s.remaining)
                << std::flush;
    }
  });
}

}  // namespace

void add_backfill_command(CLI::App& app, const CommandContext& context) {
  CLI::App* command = app.add_subcommand(
      "backfill", "Partial backfilling of an upgraded gallery: plan an order, apply a budget");
  command->require_subcommand(1);
  add_plan_command(*command, context);
  add_apply_command(*command, context);
}

}  // namespace fct::cli
