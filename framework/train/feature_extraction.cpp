#include "framework/train/feature_extraction.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "framework/core/error.h"
#include "framework/data/batch_loader.h"
#include "framework/distributed/fail_together.h"
#include "framework/distributed/mpi_c.h"
#include "framework/models/inference_batch.h"
#include "framework/train/progress_bar.h"

namespace fct::train {

namespace {

// Images per forward pass: the option, or on a CPU what suits the smallest-fitting model on this
// machine (Note [Inference batch] in models/inference_batch.cpp); on a GPU the whole round.
// `why` says where the number comes from, for the log.
int64_t forward_batch_for(Encoders& encoders, const ExtractionOptions& options,
                          const torch::Tensor& images, std::string& why) {
  if (options.forward_batch > 0) {
    why = "as configured";
    return options.forward_batch;
  }
  if (!options.device.is_cpu()) {
    why = "the whole round on " + options.device.str();
    return options.batch_size;
  }
  // The model with the largest activations decides.
  int64_t size = models::inference_batch_for(encoders.embedding->backbone(), images);
  if (encoders.side_info)
    size = std::min(size, models::inference_batch_for(encoders.side_info->backbone(), images));
  if (encoders.target)
    size = std::min(size, models::inference_batch_for(encoders.target->backbone(), images));
  why = fmt::format("L2 {} KiB a core", models::l2_cache_bytes() / 1024);
  return size;
}

}  // namespace

ExtractionReport write_embeddings(distributed::Communicator& comm, const data::Dataset& dataset,
                                  const data::Transform& transform, Encoders encoders,
                                  const std::string& path, store::Attributes attributes,
                                  const ExtractionOptions& options) {
  if (!encoders.embedding) throw Error("write_embeddings: an embedding model is required");
  const auto started = std::chrono::steady_clock::now();
  ExtractionReport report;
  PhaseProfile& phases = report.phases;
  const int rank = comm.rank();
  const int world = comm.size();
  const int64_t n = dataset.size();
  const int64_t views = options.views;
  const int64_t batch_size = options.batch_size;
  int64_t forward_batch = 0;  // from the first batch's image shape
  std::string forward_batch_reason;

  // Inference mode: no autograd bookkeeping at all (the rows only go to the file).
  c10::InferenceMode inference;
  int models = 0;
  for (auto* module : std::initializer_list<torch::nn::Module*>{
           encoders.embedding.ptr().get(),
           encoders.side_info ? encoders.side_info.ptr().get() : nullptr,
           encoders.target ? encoders.target.ptr().get() : nullptr}) {
    if (module == nullptr) continue;
    module->to(options.device);
    module->eval();
    ++models;
  }

  store::StoreLayout layout;
  layout.rows = views * n;
  layout.embedding_dim = encoders.embedding->embedding_dim();
  if (encoders.side_info) layout.side_info_dim = encoders.side_info->side_info_dim();
  if (encoders.target)
    layout.extra_columns.push_back({store::kTarget, encoders.target->embedding_dim()});
  attributes[store::attribute::kViews] = std::to_string(views);
  attributes[store::attribute::kRowsPerView] = std::to_string(n);
  store::StoreWriter writer(comm, path, layout, attributes);

  // Collective writes need the same number of rounds on every rank: the largest share decides.
  const auto [begin, end] = store::rank_rows(n, rank, world);
  const int64_t largest_share = (n + world - 1) / world;
  const int64_t rounds_per_view = (largest_share + batch_size - 1) / batch_size;
  std::vector<int64_t> indices(static_cast<std::size_t>(end - begin));
  for (int64_t i = begin; i < end; ++i) indices[static_cast<std::size_t>(i - begin)] = i;
  phases.lap("set-up");

  ProgressBar bar(options.label, views * n, "img", options.show_progress && rank == 0);
  for (int64_t view = 0; view < views; ++view) {
    data::LoaderOptions loader_options;
    loader_options.batch_size = batch_size;
    loader_options.threads = options.loader_threads;
    loader_options.seed = options.seed;
    loader_options.epoch = view;
    loader_options.pin_memory = options.device.is_cuda();
    data::BatchLoader loader(dataset, indices, transform, loader_options);
    int64_t row = view * n + begin;
    for (int64_t round = 0; round < rounds_per_view; ++round) {
      store::StoreRows rows;
      std::exception_ptr failure;
      try {
        if (auto batch = loader.next()) {
          phases.lap("load");
          const auto images = batch->images.to(options.device, /*non_blocking=*/true);
          if (forward_batch == 0)
            forward_batch = forward_batch_for(encoders, options, images, forward_batch_reason);
          // Every model on a slice before the next slice, while the slice is in the cache.
          const int64_t count = images.size(0);
          std::vector<torch::Tensor> embeddings, side_info, target;
          for (int64_t first = 0; first < count; first += forward_batch) {
            const auto slice = images.slice(0, first, std::min(count, first + forward_batch));
            embeddings.push_back(encoders.embedding->embed(slice));
            if (encoders.side_info) side_info.push_back(encoders.side_info->embed(slice));
            if (encoders.target) target.push_back(encoders.target->embed(slice));
          }
          rows.embeddings = torch::cat(embeddings).to(torch::kCPU);
          if (encoders.side_info) rows.side_info = torch::cat(side_info).to(torch::kCPU);
          if (encoders.target) rows.extra[store::kTarget] = torch::cat(target).to(torch::kCPU);
          rows.labels = batch->labels;
          rows.ids = batch->ids;
          phases.lap("forward");
        }
      } catch (...) {
        failure = std::current_exception();
      }
      distributed::fail_together(comm, failure, "embedding rows for " + path);
      phases.lap("wait");
      writer.write_rows(row, rows);
      row += rows.size();
      phases.lap("write");
      // Every rank writes at the same pace; rank 0's progress stands for all.
      bar.update((view * n) + std::min(n, (round + 1) * batch_size * world));
    }
  }
  bar.finish();
  phases.restart();
  writer.commit();
  phases.lap("write");

  report.rows = views * n;
  report.forward_batch = forward_batch;
  report.passes = report.rows * models;
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info(
      "{}: {} rows in {:.1f} s, {:.0f} rows/s, {:.0f} forward passes/s; {} images a pass ({}); {}",
      options.label, report.rows, report.seconds, report.rows / report.seconds,
      report.passes / report.seconds, forward_batch, forward_batch_reason, phases.summary());
  return report;
}

}  // namespace fct::train
