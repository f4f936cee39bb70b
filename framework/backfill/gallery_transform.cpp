#include "framework/backfill/gallery_transform.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "framework/core/error.h"
#include "framework/distributed/fail_together.h"
#include "framework/models/model_file.h"
#include "framework/store/store_reader.h"
#include "framework/store/store_writer.h"
#include "framework/train/progress_bar.h"

namespace fct::backfill {
GalleryTransformSummary transform_gallery(const GalleryTransformJob& job,
                                          distributed::Communicator& comm) {
  const auto start = std::chrono::steady_clock::now();
  auto h = models::load_transformation(job.transformation_path);
  h.model->to(job.device);
  const auto spec = models::transformation_spec_of(h.info);
  const store::StoreReader input(job.input_path);

  // The gallery must come from the exact models h was trained against.
  const models::TransformationModels trained_for = models::transformation_models_of(h.info);
  const std::string& expected_old = trained_for.old_model_hash;
  if (expected_old.empty())
    throw Error("fct transform: " + job.transformation_path +
                " does not record the old model it was trained for (old_model_hash)");
  const std::string stored_old =
      store::attribute_or_empty(input.attributes(), store::attribute::kModelHash);
  if (stored_old != expected_old)
    throw Error("fct transform: " + job.input_path + " was embedded by model " +
                (stored_old.empty() ? std::string("(unknown)") : stored_old) + ", but " +
                job.transformation_path + " was trained for old model " + expected_old);
  const std::string& expected_side = trained_for.side_info_model_hash;
  if (spec.side_info) {
    if (input.side_info_dim() == 0)
      throw Error("fct transform: " + job.transformation_path + " needs side-information, but " +
                  job.input_path + " stores none");
    const std::string stored_side =
        store::attribute_or_empty(input.attributes(), store::attribute::kSideInfoModelHash);
    if (stored_side != expected_side)
      throw Error("fct transform: the side-information of " + job.input_path +
                  " comes from model " + (stored_side.empty() ? "(unknown)" : stored_side) +
                  ", but h was trained with " + expected_side);
    if (input.side_info_dim() != spec.side_dim)
      throw Error("fct transform: side_info of " + job.input_path + " has " +
                  std::to_string(input.side_info_dim()) + " columns, h expects " +
                  std::to_string(spec.side_dim));
  }
  if (input.embedding_dim() != spec.old_dim)
    throw Error("fct transform: embeddings of " + job.input_path + " have " +
                std::to_string(input.embedding_dim()) + " columns, h expects " +
                std::to_string(spec.old_dim));

  store::StoreLayout layout;
  layout.rows = input.rows();
  layout.embedding_dim = spec.new_dim;
  layout.side_info_dim = input.side_info_dim();  // kept: the next update needs it again
  // FastFill's h also predicts its own uncertainty: stored beside each item, it is all the
  // `sigma` backfilling order needs.
  if (spec.uncertainty) layout.extra_columns.emplace_back(store::kSigma, 1);
  namespace attribute = store::attribute;
  store::Attributes attributes = store::provenance_attributes(
      h.info.name, h.hash, h.info.config_yaml,
      store::attribute_or_empty(input.attributes(), attribute::kDataset),
      store::attribute_or_empty(input.attributes(), attribute::kSplit));
  attributes[attribute::kModelKind] = h.info.kind;
  attributes[attribute::kSourceStore] = job.input_path;
  attributes[attribute::kSourceModel] =
      store::attribute_or_empty(input.attributes(), attribute::kModel);
  attributes[attribute::kSourceModelHash] = stored_old;
  attributes[attribute::kSideInfoModelHash] =
      store::attribute_or_empty(input.attributes(), attribute::kSideInfoModelHash);
  attributes[attribute::kTargetModelHash] = trained_for.new_model_hash;
  store::StoreWriter writer(comm, job.output_path, layout, attributes);

  const auto [begin, end] = store::rank_rows(input.rows(), comm.rank(), comm.size());
  const int64_t largest_share = (input.rows() + comm.size() - 1) / comm.size();
  const int64_t rounds = (largest_share + job.chunk_rows - 1) / job.chunk_rows;
  train::ProgressBar bar("backfill", input.rows(), "item", job.show_progress && comm.rank() == 0);
  torch::NoGradGuard no_grad;
  for (int64_t round = 0; round < rounds; ++round) {
    const int64_t first = std::min(end, begin + round * job.chunk_rows);
    const int64_t last = std::min(end, first + job.chunk_rows);
    store::StoreRows out;
    std::exception_ptr failure;
    try {
      if (last > first) {
        store::StoreRows in = input.read(first, last);
        const auto side = in.side_info.defined() ? in.side_info.to(job.device) : torch::Tensor();
        const auto transformed = h.model->forward_with_sigma(in.embeddings.to(job.device), side);
        out.embeddings = transformed.embedding.to(torch::kCPU);
        if (spec.uncertainty)
          out.extra[store::kSigma] = transformed.sigma.to(torch::kCPU).unsqueeze(1).contiguous();
        out.labels = in.labels;
        out.ids = in.ids;
        out.side_info = in.side_info;
      }
    } catch (...) {
      failure = std::current_exception();
    }
    distributed::fail_together(comm, failure, "transforming rows of " + job.input_path);
    writer.write_rows(first, out);
    bar.update(std::min(input.rows(), (round + 1) * job.chunk_rows * comm.size()));
  }
  bar.finish();
  writer.commit();
  GalleryTransformSummary summary;
  summary.rows = input.rows();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.items_per_s = summary.rows / std::max(summary.seconds, 1e-9);
  spdlog::info("backfilled {} items of {} with {} into {} ({:.0f} items/s)", summary.rows,
               job.input_path, h.info.name, job.output_path, summary.items_per_s);
  return summary;
}

}  // namespace fct::backfill
