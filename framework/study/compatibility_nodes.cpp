// The nodes after the models: the feature cache, every h and the gallery it backfills, the
// evaluation of every case of the protocol, the backfilling curves, and the run's results table.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <map>

#include "framework/backfill/gallery_transform.h"
#include "framework/config/config_writer.h"
#include "framework/config/result_key.h"
#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/core/json_file.h"
#include "framework/core/provenance.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/eval/backfill_order.h"
#include "framework/models/model_file.h"
#include "framework/report/backfill_curve_report.h"
#include "framework/store/store_reader.h"
#include "framework/study/node_kinds.h"
#include "framework/study/stage_nodes.h"
#include "framework/study/store_evaluation.h"
#include "framework/train/feature_extraction.h"
#include "framework/train/run_directory.h"
#include "framework/train/transformation_training.h"

namespace fct::study {
namespace {

eval::RetrievalOptions retrieval_options(const config::StudyConfig& study) {
  eval::RetrievalOptions retrieval;
  retrieval.distance = study.eval.distance;
  retrieval.block_size = study.eval.block_size;
  return retrieval;
}

graph::StageNode feature_cache_node(const StageEnvironment& env, const config::StudyConfig& study,
                                    const PairNodeIds& ids) {
  config::DataConfig data = study.data;
  data.classes = study.new_model.classes;
  const int64_t views = study.transformation.transformation.cached_views;
  graph::StageNode node;
  node.kind = "feature_cache";
  node.config = fmt::format("views {}\nseed {}\n{}", views, study.seed, config::result_key(data));
  node.inputs = {ids.old_model, ids.side_info_model, ids.new_model};
  node.label = "feature cache";
  node.links = {feature_cache_link()};
  const int64_t batch_size = study.new_model.schedule.eval_batch_size;
  const std::string study_yaml = config::to_yaml(study);
  const auto seed = static_cast<uint64_t>(study.seed);
  node.build = [env, data, views, batch_size, study_yaml, seed](const graph::NodeBuild& build) {
    const auto dataset = data::make_dataset(data, data.train_split, &env.comm);
    auto old_model = models::load_embedding_model(model_in(build.inputs.at(0)));
    auto side_model = models::load_side_info_model(model_in(build.inputs.at(1)));
    auto new_model = models::load_embedding_model(model_in(build.inputs.at(2)));
    train::Encoders encoders;
    encoders.embedding = old_model.model;
    encoders.side_info = side_model.model;
    encoders.target = new_model.model;
    train::ExtractionOptions extraction;
    extraction.views = views;
    extraction.batch_size = batch_size;
    extraction.loader_threads = data.loader_threads;
    extraction.seed = seed;
    extraction.device = env.options.device;
    extraction.show_progress = env.options.show_progress;
    extraction.label = "feature cache";
    auto attributes = store::provenance_attributes("feature cache", old_model.hash, study_yaml,
                                                   data.name, data.train_split);
    attributes[store::attribute::kSideInfoModelHash] = side_model.hash;
    attributes[store::attribute::kTargetModelHash] = new_model.hash;
    train::write_embeddings(env.comm, *dataset, data::train_transform(data), encoders,
                            feature_cache_in(build.directory), attributes, extraction);
  };
  return node;
}

// h of one variant. Inputs: old, ψ, new, old store, new store (validation), and the feature
// cache when h is fed from it.
graph::StageNode transformation_node(const StageEnvironment& env, const config::StudyConfig& study,
                                     const TransformationVariant& variant, const PairNodeIds& ids,
                                     const std::string& feature_cache_id) {
  const auto& section = study.transformation;
  const config::ModelConfig unused_model;
  const config::LossConfig unused_loss;
  const auto experiment =
      config::experiment_for_stage(study, variant.stage, study.new_model.classes, unused_model,
                                   unused_loss, section.optimizer, section.schedule, "");
  config::TransformationConfig transformation = section.transformation;
  transformation.uncertainty = variant.uncertainty;
  const std::string h_yaml = "---\n" + config::to_yaml(transformation);
  graph::StageNode node;
  node.kind =
      variant.uncertainty && study.backfilling.fastfill && variant.stage.rfind("fastfill", 0) == 0
          ? "fastfill"
          : "transformation";
  node.resumable = true;
  node.config = config::result_key(experiment) + h_yaml +
                fmt::format("side_info {}\n", variant.side_info ? "yes" : "no");
  node.inputs = {ids.old_model, ids.side_info_model, ids.new_model, ids.old_store, ids.new_store};
  if (!feature_cache_id.empty()) node.inputs.push_back(feature_cache_id);
  node.label = variant.label;
  node.links = {{variant.stage, ""}};
  const bool side_info = variant.side_info;
  node.build = [env, experiment, transformation, h_yaml, side_info](const graph::NodeBuild& build) {
    auto run = experiment;
    run.output_dir = build.directory;
    if (env.comm.rank() == 0) {
      ProvenanceInputs provenance = env.options.provenance;
      const std::string yaml = config::to_yaml(run) + h_yaml;
      provenance.config_hash = fnv1a(yaml);
      train::write_run_record(build.directory, yaml, provenance);
    }
    train::TransformationInputsPaths paths;
    paths.old_model = model_in(build.inputs.at(0));
    paths.side_info_model = model_in(build.inputs.at(1));
    paths.new_model = model_in(build.inputs.at(2));
    paths.val_old_store = store_in(build.inputs.at(3));
    paths.val_new_store = store_in(build.inputs.at(4));
    if (build.inputs.size() > 5) paths.feature_cache = feature_cache_in(build.inputs[5]);
    train::train_transformation(run, transformation, side_info, paths, env.comm,
                                trainer_options(env, run, build));
  };
  return node;
}

// The old gallery backfilled by h. Inputs: h, the old store.
graph::StageNode transformed_store_node(const StageEnvironment& env,
                                        const TransformationVariant& variant,
                                        const std::string& h_id, const std::string& old_store_id) {
  graph::StageNode node;
  node.kind = "transformed_store";
  node.inputs = {h_id, old_store_id};
  node.label = "backfill " + variant.stage;
  node.links = {store_link(variant.stage)};
  node.build = [env](const graph::NodeBuild& build) {
    backfill::GalleryTransformJob job;
    job.transformation_path = model_in(build.inputs.at(0));
    job.input_path = store_in(build.inputs.at(1));
    job.output_path = store_in(build.directory);
    job.device = env.options.device;
    job.show_progress = env.options.show_progress;
    backfill::transform_gallery(job, env.comm);
  };
  return node;
}

struct Case {
  std::string name;
  std::size_t query = 0;    // index into the evaluation node's inputs
  std::size_t gallery = 0;  // ditto
  std::string description;
};

// Every case of the protocol (query/gallery), negative flips against old/old. Inputs: the stores,
// in the order `cases` refers to them (input 0 is the old store).
graph::StageNode evaluation_node(const StageEnvironment& env, const config::StudyConfig& study,
                                 const std::vector<std::string>& store_ids,
                                 const std::vector<Case>& cases) {
  graph::StageNode node;
  node.kind = "evaluation";
  node.config = "distance " + config::name_of(study.eval.distance) + "\n";
  for (const auto& c : cases)
    node.config += fmt::format("case {} {} {}\n", c.name, c.query, c.gallery);
  node.inputs = store_ids;
  node.label = "evaluation";
  const auto retrieval = retrieval_options(study);
  node.build = [env, cases, retrieval](const graph::NodeBuild& build) {
    std::map<std::size_t, eval::EmbeddingSet> sets;  // each store read once
    const auto set_of = [&](std::size_t input) -> const eval::EmbeddingSet& {
      auto it = sets.find(input);
      if (it == sets.end())
        it = sets.emplace(input, load_embedding_set(store_in(build.inputs.at(input)))).first;
      return it->second;
    };
    const auto& old_set = set_of(0);
    const auto reference = eval::evaluate_retrieval(env.comm, old_set, old_set, retrieval);
    std::vector<report::ResultRow> rows;
    for (const auto& c : cases) {
      const auto& query = set_of(c.query);
      const auto& gallery = set_of(c.gallery);
      if (query.embeddings.size(1) != gallery.embeddings.size(1)) {
        // Models of different dimensions (a grid pair) cannot even be compared: no row.
        spdlog::info("{}: {}-d queries against a {}-d gallery cannot be compared, left out", c.name,
                     query.embeddings.size(1), gallery.embeddings.size(1));
        continue;
      }
      const auto result = eval::evaluate_retrieval(env.comm, query, gallery, retrieval);
      report::ResultRow row;
      row.case_name = c.name;
      row.description = c.description;
      row.top1 = result.top1;
      row.top5 = result.top5;
      row.mAP = result.mAP;
      row.negative_flips = eval::negative_flip_rate(reference, result);
      row.queries = result.queries;
      rows.push_back(row);
    }
    if (env.comm.rank() == 0)
      write_text_atomically(build.directory + "/rows.json",
                            report::results_json(rows).dump(2) + "\n");
  };
  return node;
}

// Backfilling curves of every gallery h made, in every order that applies to it. Inputs: the old
// store, the new store, then one transformed store per variant.
graph::StageNode curves_node(const StageEnvironment& env, const config::StudyConfig& study,
                             const std::vector<TransformationVariant>& variants,
                             const std::vector<std::string>& store_ids, const std::string& title) {
  graph::StageNode node;
  node.kind = "curves";
  node.config =
      fmt::format("distance {}\nsteps {}\nseed {}\n", config::name_of(study.eval.distance),
                  study.backfilling.steps, study.seed);
  for (const auto& order : study.backfilling.orders) node.config += "order " + order + "\n";
  for (const auto& v : variants)
    node.config += fmt::format("variant {} {}\n", v.curve_name, v.uncertainty ? "sigma" : "");
  node.inputs = store_ids;
  node.label = "backfilling curves";
  for (const char* file : {"backfill_curves.json", "backfill_curves.csv", "backfill_curves.svg"})
    node.links.push_back({file, file});
  const auto retrieval = retrieval_options(study);
  const auto orders = study.backfilling.orders;
  const int64_t steps = study.backfilling.steps;
  const auto seed = static_cast<uint64_t>(study.seed);
  node.build = [env, variants, retrieval, orders, steps, seed,
                title](const graph::NodeBuild& build) {
    const auto old_set = load_embedding_set(store_in(build.inputs.at(0)));
    const auto reference = eval::evaluate_retrieval(env.comm, old_set, old_set, retrieval);
    const auto new_set = load_embedding_set(store_in(build.inputs.at(1)));
    std::vector<report::NamedCurve> curves;
    std::vector<report::ResultRow> rows;
    for (std::size_t v = 0; v < variants.size(); ++v) {
      const auto& variant = variants[v];
      const std::string gallery_path = store_in(build.inputs.at(2 + v));
      const auto gallery = load_embedding_set(gallery_path);
      if (gallery.embeddings.size(1) != new_set.embeddings.size(1)) continue;
      for (const auto& order_name : orders) {
        const auto& order_kind = eval::backfill_orders().get(order_name);
        const bool needs_sigma = order_kind.needs == eval::OrderNeed::kSigma;
        if (needs_sigma && !variant.uncertainty) continue;  // no σ to order by
        eval::OrderInputs order_inputs;
        order_inputs.rows = gallery.embeddings.size(0);
        order_inputs.seed = seed;
        if (needs_sigma)
          order_inputs.sigma =
              store::StoreReader(gallery_path).read_column(store::kSigma, 0, order_inputs.rows);
        order_inputs.transformed = gallery.embeddings;
        order_inputs.updated = new_set.embeddings;
        const auto order = eval::compute_backfill_order(order_name, order_inputs);
        eval::BackfillCurveOptions curve_options;
        curve_options.retrieval = retrieval;
        curve_options.steps = steps;
        report::NamedCurve named;
        named.variant = variant.curve_name;
        named.order = order_name;
        named.description =
            fmt::format("backfilling AUC ({} points): {}", steps + 1, order_kind.description);
        named.curve = eval::evaluate_backfill_curve(env.comm, new_set, gallery, new_set, order,
                                                    curve_options, &reference);
        spdlog::info("backfilling curve {}: AUC top-1 {:.2f}, mAP {:.2f}", named.name(),
                     named.curve.auc_top1(), named.curve.auc_mAP());
        rows.push_back(report::auc_row(named));
        curves.push_back(std::move(named));
      }
    }
    if (env.comm.rank() == 0) {
      report::write_backfill_curves(build.directory, curves, title);
      write_text_atomically(build.directory + "/auc_rows.json",
                            report::results_json(rows).dump(2) + "\n");
    }
  };
  return node;
}

// results.{json,csv,md} of the run: the evaluation's rows, then the curves' AUC rows. Cached like
// every node (a submission whose other nodes are all cached has nothing to run), shown in the run
// directory through links.
graph::StageNode table_node(const StageEnvironment& env, const std::string& evaluation_id,
                            const std::string& curves_id, const std::string& title) {
  graph::StageNode node;
  node.kind = kTableKind;
  node.config = "title " + title + "\n";  // the tables say whose study they are
  node.inputs = {evaluation_id};
  if (!curves_id.empty()) node.inputs.push_back(curves_id);
  node.label = "results table";
  node.links = result_links();
  node.build = [env, title](const graph::NodeBuild& build) {
    if (env.comm.rank() != 0) return;
    const std::string rows_file = build.inputs.at(0) + "/rows.json";
    auto rows = report::results_from_json(read_json_file(rows_file), rows_file);
    if (build.inputs.size() > 1) {
      const std::string auc_file = build.inputs[1] + "/auc_rows.json";
      for (auto& row : report::results_from_json(read_json_file(auc_file), auc_file))
        rows.push_back(row);
    }
    report::write_results(build.directory, rows, title);
  };
  return node;
}

}  // namespace

std::vector<TransformationVariant> transformation_variants(const config::StudyConfig& study) {
  const bool uncertainty = study.transformation.transformation.uncertainty;
  std::vector<TransformationVariant> variants = {
      {"fct", "new/fct", "fct", "transformation h without side-info",
       "FCT: gallery transformed by h without side-info", false, uncertainty},
      {"fct_si", "new/fct+si", "fct+si", "transformation h with side-info",
       "FCT: gallery transformed by h with side-info", true, uncertainty}};
  if (study.backfilling.fastfill) {
    variants.push_back({"fastfill", "new/fastfill", "fastfill", "FastFill h without side-info",
                        "FastFill: gallery transformed by h with σ, without side-info", false,
                        true});
    variants.push_back({"fastfill_si", "new/fastfill+si", "fastfill+si",
                        "FastFill h with side-info",
                        "FastFill: gallery transformed by h with σ, with side-info", true, true});
  }
  return variants;
}

void add_compatibility_nodes(graph::RunNodes& run, const StageEnvironment& env,
                             const config::StudyConfig& study, const PairNodeIds& ids,
                             const std::string& title) {
  std::string feature_cache;
  if (study.transformation.transformation.feed == config::FeatureFeed::kCached) {
    feature_cache = "features";
    run.add(feature_cache, feature_cache_node(env, study, ids));
  }
  const auto variants = transformation_variants(study);
  // The evaluation's inputs: old, new, (bct), then each h's gallery.
  std::vector<std::string> stores = {ids.old_store, ids.new_store};
  std::vector<Case> cases = {
      {"old/old", 0, 0, "old model on both sides (before the update)"},
      {"new/new", 1, 1, "new model after a full backfill with images (upper bound)"},
      {"new/old", 1, 0, "new queries, old gallery: no compatibility"}};
  if (!ids.bct_store.empty()) {
    stores.push_back(ids.bct_store);
    cases.push_back({"bct/old", 2, 0, "BCT new model against the old gallery"});
    cases.push_back({"bct/bct", 2, 2, "BCT new model on both sides"});
  }
  std::vector<std::string> curve_stores = {ids.old_store, ids.new_store};
  for (const auto& variant : variants) {
    run.add(variant.stage, transformation_node(env, study, variant, ids, feature_cache));
    const std::string gallery = "stores/" + variant.stage;
    run.add(gallery, transformed_store_node(env, variant, variant.stage, ids.old_store));
    cases.push_back({variant.case_name, 1, stores.size(), variant.description});
    stores.push_back(gallery);
    curve_stores.push_back(gallery);
  }
  run.add("evaluation", evaluation_node(env, study, stores, cases));
  std::string curves;
  if (!study.backfilling.orders.empty()) {
    curves = "curves";
    run.add(curves, curves_node(env, study, variants, curve_stores, title));
  }
  run.add(kTableKind, table_node(env, "evaluation", curves, title));
}

std::vector<report::ResultRow> read_results(const std::string& run_directory) {
  const std::string path = results_json_in(run_directory);
  return report::results_from_json(read_json_file(path), path);
}

}  // namespace fct::study
