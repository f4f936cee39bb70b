#include "framework/train/feature_extraction.h"

#include "framework/core/error.h"
#include "framework/data/batch_loader.h"
#include "framework/distributed/fail_together.h"
#include "framework/distributed/mpi_c.h"
#include "framework/train/progress_bar.h"

namespace fct::train {

void write_embeddings(distributed::Communicator& comm, const data::Dataset& dataset,
                      const data::Transform& transform, Encoders encoders, const std::string& path,
                      store::Attributes attributes, const ExtractionOptions& options) {
  if (!encoders.embedding) throw Error("write_embeddings: an embedding model is required");
  const int rank = comm.rank();
  const int world = comm.size();
  const int64_t n = dataset.size();
  const int64_t views = options.views;
  const int64_t batch_size = options.batch_size;

  torch::NoGradGuard no_grad;
  for (auto* module : std::initializer_list<torch::nn::Module*>{
           encoders.embedding.ptr().get(),
           encoders.side_info ? encoders.side_info.ptr().get() : nullptr,
           encoders.target ? encoders.target.ptr().get() : nullptr}) {
    if (module == nullptr) continue;
    module->to(options.device);
    module->eval();
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
          const auto images = batch->images.to(options.device, /*non_blocking=*/true);
          rows.embeddings = encoders.embedding->embed(images).to(torch::kCPU);
          if (encoders.side_info)
            rows.side_info = encoders.side_info->embed(images).to(torch::kCPU);
          if (encoders.target)
            rows.extra[store::kTarget] = encoders.target->embed(images).to(torch::kCPU);
          rows.labels = batch->labels;
          rows.ids = batch->ids;
        }
      } catch (...) {
        failure = std::current_exception();
      }
      distributed::fail_together(comm, failure, "embedding rows for " + path);
      writer.write_rows(row, rows);
      row += rows.size();
      // Every rank writes at the same pace; rank 0's progress stands for all.
      bar.update((view * n) + std::min(n, (round + 1) * batch_size * world));
    }
  }
  bar.finish();
  writer.commit();
}

}  // namespace fct::train
