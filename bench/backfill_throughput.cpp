// Backfill throughput against re-embedding: items/s of the transformation h on stored vectors
// (what `fct transform` computes per row) and images/s of the new model embedding the same split
// from its images (what a backfill without FCT would cost), on this machine, in one process with
// the same threads. Uses the model files of a finished study. Prints one JSON object.
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "framework/config/experiment_config.h"
#include "framework/core/allocator_tuning.h"
#include "framework/data/batch_loader.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/distributed/compute_threads.h"
#include "framework/distributed/runtime.h"
#include "framework/models/inference_batch.h"
#include "framework/models/model_file.h"
#include "framework/store/store_reader.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  fct::tune_allocator();  // as the fct command does (Note [Allocator])
  fct::distributed::Runtime runtime(&argc, &argv);
  CLI::App app{"fct backfill-throughput benchmark"};
  std::string run_directory = "runs/fashion_mnist_fct";
  int64_t threads = 2, chunk_rows = 8192, batch_size = 1024, repeats = 3;
  app.add_option("--run", run_directory, "directory of a finished `fct run` study");
  app.add_option("--threads", threads, "intra-op threads");
  app.add_option("--chunk-rows", chunk_rows, "rows per h forward (as fct transform)");
  app.add_option("--batch-size", batch_size, "images per embedding forward (as fct embed)");
  app.add_option("--repeats", repeats, "passes over the split for each side");
  CLI11_PARSE(app, argc, argv);
  try {
    fct::distributed::set_compute_threads(static_cast<int>(threads));
    torch::NoGradGuard no_grad;
    auto h = fct::models::load_transformation(run_directory + "/fct_si/model.pt");
    auto new_model = fct::models::load_embedding_model(run_directory + "/new/model.pt");
    const fct::store::StoreReader gallery(run_directory + "/stores/old.h5");
    const auto rows = gallery.read_all();

    // h over the stored gallery, chunk by chunk.
    h.model->forward(rows.embeddings.slice(0, 0, 64), rows.side_info.slice(0, 0, 64));  // warm-up
    const auto h_start = Clock::now();
    for (int64_t r = 0; r < repeats; ++r)
      for (int64_t first = 0; first < gallery.rows(); first += chunk_rows) {
        const int64_t last = std::min(gallery.rows(), first + chunk_rows);
        h.model->forward(rows.embeddings.slice(0, first, last),
                         rows.side_info.slice(0, first, last));
      }
    const double h_seconds = seconds_since(h_start);
    const double h_items_per_s = static_cast<double>(repeats * gallery.rows()) / h_seconds;

    // The new model over the same split's images (decode, normalise, forward).
    fct::config::DataConfig data;
    data.name = gallery.attribute("dataset");
    const auto dataset = fct::data::make_dataset(data, gallery.attribute("split"));
    std::vector<int64_t> indices(static_cast<std::size_t>(dataset->size()));
    std::iota(indices.begin(), indices.end(), 0);
    const auto embed_start = Clock::now();
    for (int64_t r = 0; r < repeats; ++r) {
      fct::data::LoaderOptions options;
      options.batch_size = batch_size;
      fct::data::BatchLoader loader(*dataset, indices, fct::data::eval_transform(data), options);
      auto& model = *new_model.model;
      while (auto batch = loader.next()) {
        // As fct embed does: passes sized for the cache (models/inference_batch.h).
        fct::models::forward_in_slices(
            batch->images, fct::models::inference_batch_for(model.backbone(), batch->images),
            [&](const torch::Tensor& slice) { return model.embed(slice); });
      }
    }
    const double embed_seconds = seconds_since(embed_start);
    const double embed_images_per_s =
        static_cast<double>(repeats * dataset->size()) / embed_seconds;

    const nlohmann::json out = {
        {"run", run_directory},
        {"threads", threads},
        {"items", gallery.rows()},
        {"repeats", repeats},
        {"h_inner_width", h.model->spec().inner_width},
        {"backfill_items_per_s", h_items_per_s},
        {"new_model_embed_images_per_s", embed_images_per_s},
        {"backfill_speedup_vs_reembedding", h_items_per_s / embed_images_per_s}};
    std::cout << out.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
