// The forward-only path of fct, as the study runs it: train::write_embeddings over a split with one
// to three frozen models, into a store. With --old, --side-info and --new and --augment --views 2
// it is the transformation's feature cache; with --old alone and no --augment it is `fct embed`'s
// work without the command's start-up. Prints one JSON object (rank 0) with rows/s, forward
// passes/s and the phase profile. bench/side_by_side.sh and bench/forward_batch.sh run it.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "framework/core/allocator_tuning.h"
#include "framework/core/error.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/compute_threads.h"
#include "framework/distributed/runtime.h"
#include "framework/models/model_file.h"
#include "framework/train/feature_extraction.h"

int main(int argc, char** argv) {
  fct::tune_allocator();  // as the fct command does (Note [Allocator])
  fct::distributed::Runtime runtime(&argc, &argv);
  const auto& info = runtime.info();
  CLI::App app{"fct forward-only benchmark (the feature cache's and fct embed's path)"};
  std::string old_path, side_path, new_path, split = "train", out;
  int64_t views = 1, limit = 0, batch_size = 1024, forward_batch = 0, threads = 0,
          loader_threads = 0;
  bool augment = false, keep = false;
  app.add_option("--old", old_path, "embedding model file (the store's `embeddings`)")->required();
  app.add_option("--side-info", side_path, "side-information model file");
  app.add_option("--new", new_path, "embedding model file (the store's `target`)");
  app.add_option("--split", split);
  app.add_option("--limit", limit, "the first N samples (0 = all)");
  app.add_option("--views", views);
  app.add_flag("--augment", augment, "the training transform (else the evaluation transform)");
  app.add_option("--batch-size", batch_size, "images per rank and round");
  app.add_option("--forward-batch", forward_batch, "images per forward pass (0 = fct's default)");
  app.add_option("--threads", threads, "intra-op threads per rank (0 = cores / ranks)");
  app.add_option("--loader-threads", loader_threads);
  app.add_option("--out", out, "store to write (removed afterwards)")->required();
  app.add_flag("--keep", keep, "keep the store");
  CLI11_PARSE(app, argc, argv);

  try {
    const int thread_count = fct::distributed::threads_for_rank(static_cast<int>(threads), info);
    fct::distributed::set_compute_threads(thread_count);
    auto comm = fct::distributed::make_communicator("mpi", {});
    fct::train::Encoders encoders;
    auto old_model = fct::models::load_embedding_model(old_path);
    encoders.embedding = old_model.model;
    if (!side_path.empty()) encoders.side_info = fct::models::load_side_info_model(side_path).model;
    if (!new_path.empty()) encoders.target = fct::models::load_embedding_model(new_path).model;

    fct::config::DataConfig data;
    data.name = fct::models::trained_dataset_of(old_model.info);
    data.limit = limit;
    data.augment = augment;
    data.loader_threads = loader_threads;
    const auto dataset = fct::data::make_dataset(data, split, comm.get());
    fct::train::ExtractionOptions options;
    options.views = views;
    options.batch_size = batch_size;
    if (forward_batch > 0) options.forward_batch = forward_batch;
    options.loader_threads = loader_threads;
    options.show_progress = false;
    options.label = "forward benchmark";
    const auto transform =
        augment ? fct::data::train_transform(data) : fct::data::eval_transform(data);
    const auto report =
        fct::train::write_embeddings(*comm, *dataset, transform, encoders, out, {}, options);
    if (info.rank == 0) {
      if (!keep) std::filesystem::remove(out);
      nlohmann::json phases = nlohmann::json::object();
      for (const auto& [phase, seconds] : report.phases.phases()) phases[phase] = seconds;
      nlohmann::json result = {{"ranks", info.size},
                               {"threads_per_rank", thread_count},
                               {"models", report.rows > 0 ? report.passes / report.rows : 0},
                               {"rows", report.rows},
                               {"batch_size", batch_size},
                               {"forward_batch", report.forward_batch},
                               {"seconds", report.seconds},
                               {"rows_per_s", report.rows / report.seconds},
                               {"passes_per_s", report.passes / report.seconds},
                               {"phases_s", phases}};
      std::cout << result.dump() << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "rank " << info.rank << ": " << e.what() << std::endl;
    if (info.size > 1) fct::distributed::Runtime::abort_job(1);
    return 1;
  }
  return 0;
}
