// Backfilling-curve evaluation: the incremental curve (eval/backfill_curve.h, Note [Incremental
// backfilling curve]) against its baseline measured in the same run, the definition literally
// (steps + 1 mixed galleries built and evaluated from scratch). Data: clustered random embeddings
// as the new model's (queries and new gallery), the transformed gallery = new + noise, a random
// order. Checks that both curves are equal and prints one JSON object with the speed-up.
// bench/backfill_curve.sh runs the standard configuration.
#include "framework/eval/backfill_curve.h"

#include <ATen/Parallel.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "framework/core/allocator_tuning.h"
#include "framework/eval/backfill_order.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  fct::tune_allocator();  // as the fct command does (Note [Allocator])
  int64_t n = 10000, d = 128, classes = 100, steps = 21, threads = 2;
  double spread = 1.2, noise = 1.0;
  CLI::App app{"backfilling curve: incremental vs recomputed"};
  app.add_option("--n", n, "gallery = query items")->capture_default_str();
  app.add_option("--d", d, "embedding dimension")->capture_default_str();
  app.add_option("--classes", classes, "classes")->capture_default_str();
  app.add_option("--steps", steps, "curve points - 1")->capture_default_str();
  app.add_option("--threads", threads, "intra-op threads")->capture_default_str();
  app.add_option("--spread", spread, "within-class spread")->capture_default_str();
  app.add_option("--noise", noise, "transformation error (std of h - new)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  at::set_num_threads(static_cast<int>(threads));

  auto generator = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto centres = torch::randn({classes, d}, generator);
  const auto labels = torch::arange(n, torch::kInt64).remainder(classes);
  const auto ids = torch::arange(n, torch::kInt64);
  const fct::eval::EmbeddingSet updated{
      centres.index_select(0, labels) + spread * torch::randn({n, d}, generator), labels, ids};
  const fct::eval::EmbeddingSet transformed{
      updated.embeddings + noise * torch::randn({n, d}, generator), labels, ids};
  fct::eval::OrderInputs inputs;
  inputs.rows = n;
  inputs.seed = 3;
  const auto order = fct::eval::compute_backfill_order("random", inputs);
  fct::eval::BackfillCurveOptions options;
  options.steps = steps;

  auto start = Clock::now();
  const auto incremental =
      fct::eval::evaluate_backfill_curve(updated, transformed, updated, order, options);
  const double incremental_s = seconds_since(start);
  start = Clock::now();
  const auto full =
      fct::eval::recompute_backfill_curve(updated, transformed, updated, order, options);
  const double full_s = seconds_since(start);

  const bool equal =
      incremental.top1 == full.top1 && incremental.top5 == full.top5 && incremental.mAP == full.mAP;
  std::cout << nlohmann::json{{"n", n},
                              {"d", d},
                              {"classes", classes},
                              {"points", steps + 1},
                              {"threads", threads},
                              {"incremental_seconds", incremental_s},
                              {"baseline_recompute_every_point_seconds", full_s},
                              {"speedup_incremental_vs_recompute", full_s / incremental_s},
                              {"curves_equal", equal},
                              {"auc_top1", incremental.auc_top1()},
                              {"auc_mAP", incremental.auc_mAP()}}
                   .dump(2)
            << "\n";
  return equal ? 0 : 1;
}
