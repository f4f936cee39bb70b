// The typed configuration of an FCT study (`fct run study.yaml`): the shared data and runtime
// settings, and one section per stage of fct-protocol.md — the old model, the side-information
// model, the new model, the BCT baseline, the transformation h and the evaluation. Each training
// stage becomes an ExperimentConfig (experiment_for_stage) run by the one Trainer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/experiment_config.h"

namespace fct::config {

// A supervised training stage (old, new, BCT): which classes it sees and how it trains.
struct ModelStageConfig {
  std::vector<int64_t> classes;  // empty = every class
  ModelConfig model;
  LossConfig loss;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  DebugConfig debug;  // fault injection and test knobs of this training; never part of a result

  template <class V>
  void visit(V& v) {
    v("classes", classes, "classes of the training split this model sees; empty = every class",
      each(at_least<int64_t>(0)));
    v("model", model, "model");
    v("loss", loss, "loss");
    v("optimizer", optimizer, "optimiser");
    v("schedule", schedule, "epochs, batch and learning-rate schedule");
    v("debug", debug, "fault injection and test knobs of this training (debug.*)");
  }
};

struct BctConfig {
  double influence_weight = 1.0;  // λ of the influence loss
  int64_t prototype_samples = 0;  // per class, for the synthesised old-classifier rows (0 = all)

  template <class V>
  void visit(V& v) {
    v("influence_weight", influence_weight, "weight λ of the loss through the old classifier",
      at_least(0.0));
    v("prototype_samples", prototype_samples,
      "samples per new class whose mean old embedding becomes its old-classifier row (0 = all)",
      at_least<int64_t>(0));
  }
};

// SimCLR settings of the side-information model (its backbone is side_info.model; its
// embedding_dim is the side-info dimension s).
struct SimclrConfig {
  int64_t projection_dim = 128;
  double temperature = 0.2;  // 0.2 gave a better ψ than 0.5 in the protocol's reference study

  template <class V>
  void visit(V& v) {
    v("projection_dim", projection_dim, "output of the projection head (loss only)",
      in_range<int64_t>(1, 65536));
    v("temperature", temperature, "NT-Xent temperature", positive());
  }
};

struct TransformationConfig {
  int64_t inner_width = 2048;               // mixer width (protocol: 2048)
  FeatureFeed feed = FeatureFeed::kCached;  // cached: features of K views computed once
  int64_t cached_views = 4;                 // K augmented views per training image in the cache
  double freeze_batchnorm_from = 0.5;       // fraction of training after which BN statistics freeze
  // FastFill (fct-protocol.md §5): the σ head and its loss (losses/uncertainty_loss.h).
  bool uncertainty = false;
  double mu_disc = 1.0;
  double mu_unc = 0.5;
  double label_smoothing = 0.1;

  template <class V>
  void visit(V& v) {
    v("inner_width", inner_width, "width of the mixer's hidden layers",
      in_range<int64_t>(1, 65536));
    v("feed", feed, "cached (features of K augmented views, computed once) or on_the_fly");
    v("cached_views", cached_views, "augmented views per training image in the feature cache",
      in_range<int64_t>(1, 1024));
    v("freeze_batchnorm_from", freeze_batchnorm_from,
      "fraction of the epochs after which BatchNorm statistics of h are frozen (1 = never)",
      positive_fraction());
    v("uncertainty", uncertainty,
      "FastFill: add the σ head and train with the uncertainty loss (MSE + new-classifier CE)");
    v("mu_disc", mu_disc, "FastFill: weight of the new classifier's cross-entropy on h(x)",
      at_least(0.0));
    v("mu_unc", mu_unc, "FastFill: weight of the σ penalty", at_least(0.0));
    v("label_smoothing", label_smoothing, "FastFill: label smoothing of that cross-entropy",
      in_range(0.0, 0.999));
  }
};

struct EvalConfig {
  Distance distance = Distance::kL2;
  std::string split = "test";
  int64_t block_size = 0;  // queries per block (0 = from a memory budget)

  template <class V>
  void visit(V& v) {
    v("distance", distance, "l2 or cosine");
    v("split", split, "split embedded for query and gallery", not_empty());
    v("block_size", block_size, "queries per block (0 = automatic)", at_least<int64_t>(0));
  }
};

// Partial backfilling (fct-protocol.md §5): FastFill's h beside FCT's, and backfilling curves.
struct BackfillingConfig {
  bool fastfill = false;            // also train h with the σ head (with and without side-info)
  int64_t steps = 21;               // curve points at β = i/steps, i = 0 … steps
  std::vector<std::string> orders;  // curves to draw; each where it applies (sigma: FastFill only)

  template <class V>
  void visit(V& v) {
    v("fastfill", fastfill,
      "also train FastFill's h (σ head, uncertainty loss) with and without side-info");
    v("steps", steps, "backfilling curve points at fractions i/steps (protocol: 21, 22 points)",
      in_range<int64_t>(1, 1000));
    v("orders", orders,
      "backfilling orders to draw curves for (random, sigma, distance); empty = no curves",
      registered("backfill order"));
  }
};

struct SideInfoStageConfig {
  ModelConfig model;
  SimclrConfig simclr;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;

  template <class V>
  void visit(V& v) {
    v("model", model, "backbone of ψ; embedding_dim is the side-info dimension");
    v("simclr", simclr, "contrastive training");
    v("optimizer", optimizer, "optimiser");
    v("schedule", schedule, "epochs, batch and learning-rate schedule");
  }
};

struct TransformationStageConfig {
  TransformationConfig transformation;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;

  template <class V>
  void visit(V& v) {
    v("transformation", transformation, "architecture and feeding of h");
    v("optimizer", optimizer, "optimiser");
    v("schedule", schedule, "epochs, batch and learning-rate schedule");
  }
};

struct StudyConfig {
  std::string name = "study";
  int64_t seed = 0;
  std::string output_dir;  // "" = runs/<name>
  // The run cache shared by studies, sweeps and grids ("" = $FCT_ARTIFACTS_DIR, or else a cache/
  // beside the run directory: runs/cache for runs/<name>).
  std::string artifacts_dir;
  int64_t log_every = 20;
  DataConfig data;  // shared by every stage; `classes` is set per stage
  DistConfig dist;
  ModelStageConfig old_model;
  SideInfoStageConfig side_info;
  ModelStageConfig new_model;
  ModelStageConfig bct_model;
  BctConfig bct;
  TransformationStageConfig transformation;
  BackfillingConfig backfilling;
  EvalConfig eval;

  template <class V>
  void visit(V& v) {
    v("name", name, "study name", not_empty());
    v("seed", seed, "seed of every random choice in the study", at_least<int64_t>(0));
    v("output_dir", output_dir, "run directory ('' = runs/<name>)");
    v("artifacts_dir", artifacts_dir,
      "run cache shared by every run ('' = $FCT_ARTIFACTS_DIR or <run directory>/../cache)");
    v("log_every", log_every, "steps between metric lines", at_least<int64_t>(1));
    v("data", data, "dataset shared by every stage (classes are set per stage)");
    v("dist", dist, "distributed runtime");
    v("old", old_model, "old model φ_old");
    v("side_info", side_info, "side-information model ψ (SimCLR, on the old model's data)");
    v("new", new_model, "new model φ_new");
    v("bct", bct_model, "BCT baseline φ_bct (trained like the new model, plus the influence loss)");
    v("bct_loss", bct, "BCT influence loss");
    v("transformation", transformation, "transformation h");
    v("backfilling", backfilling, "FastFill and backfilling curves");
    v("eval", eval, "retrieval evaluation");
  }
};

// The ExperimentConfig that trains one stage: the study's shared settings, the stage's sections,
// and `run_directory` as output_dir.
ExperimentConfig experiment_for_stage(const StudyConfig& study, const std::string& stage,
                                      const std::vector<int64_t>& classes, const ModelConfig& model,
                                      const LossConfig& loss, const OptimizerConfig& optimizer,
                                      const ScheduleConfig& schedule,
                                      const std::string& run_directory);

}  // namespace fct::config
