#include "framework/backfill/backfill_apply.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <unordered_map>

#include "framework/backfill/backfill_plan.h"
#include "framework/core/error.h"
#include "framework/data/batch_loader.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/distributed/fail_together.h"
#include "framework/graph/artifact_cache.h"
#include "framework/models/inference_batch.h"
#include "framework/models/model_file.h"
#include "framework/store/store_reader.h"
#include "framework/store/store_updater.h"
#include "framework/train/progress_bar.h"

namespace fct::backfill {
namespace {

// What apply needs from the store, read on every rank (then the file is closed again, so that
// rank 0 can open it for writing: HDF5 locks a file that is open for writing).
struct PlannedStore {
  store::Attributes attributes;
  int64_t rows = 0;
  int64_t embedding_dim = 0;
  torch::Tensor ids, labels, embedded_by, position, batch;  // int64 [N]
};

PlannedStore read_planned_store(const std::string& path) {
  const store::StoreReader reader(path);
  const std::string where = "fct backfill apply: store " + path + ": ";
  for (const char* column : {store::kBackfillPosition, store::kEmbeddedBy, store::kBackfillBatch}) {
    if (!reader.has_column(column) ||
        reader.attributes().count(store::attribute::kBackfillOrder) == 0) {
      throw Error(fmt::format(
          "{}has no backfilling plan (no '{}' column or 'backfill_order' attribute): run `fct "
          "backfill plan --store {} --order random|sigma|distance` first",
          where, column, path));
    }
  }
  PlannedStore s;
  s.attributes = reader.attributes();
  s.rows = reader.rows();
  s.embedding_dim = reader.embedding_dim();
  s.ids = reader.read_column(store::kIds, 0, s.rows);
  s.labels = reader.read_column(store::kLabels, 0, s.rows);
  s.embedded_by = reader.read_column(store::kEmbeddedBy, 0, s.rows);
  s.position = reader.read_column(store::kBackfillPosition, 0, s.rows);
  s.batch = reader.read_column(store::kBackfillBatch, 0, s.rows);
  const auto known = s.embedded_by.eq(store::kEmbeddedByTransformation) |
                     s.embedded_by.eq(store::kEmbeddedByNewModel);
  if (!known.all().item<bool>()) {
    throw DataError(where + "column 'embedded_by' holds values other than 0 (h) and 1 (new model)");
  }
  return s;
}

// The rows still holding h's embedding, by increasing backfill_position.
std::vector<int64_t> pending_rows(const PlannedStore& s) {
  const int64_t* by = s.embedded_by.data_ptr<int64_t>();
  const int64_t* position = s.position.data_ptr<int64_t>();
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < s.rows; ++r) {
    if (by[r] == store::kEmbeddedByTransformation) rows.push_back(r);
  }
  std::sort(rows.begin(), rows.end(),
            [position](int64_t a, int64_t b) { return position[a] < position[b]; });
  return rows;
}

// Every rank must have read the same store state: compares a fingerprint of the pending rows.
void require_same_plan(distributed::Communicator& comm, const std::vector<int64_t>& pending,
                       const std::string& path) {
  uint64_t hash = 1469598103934665603ull;
  for (int64_t row : pending) hash = (hash ^ static_cast<uint64_t>(row)) * 1099511628211ull;
  torch::Tensor mine = torch::tensor(
      {static_cast<int64_t>(pending.size()), static_cast<int64_t>(hash)}, torch::kInt64);
  mine = mine.to(comm.device());
  const torch::Tensor all = comm.all_gather(mine).to(torch::kCPU);
  if (!all.eq(all[0]).all().item<bool>()) {
    throw DistributedError("fct backfill apply: the ranks read different states of " + path +
                           " (is another process writing it?)");
  }
}

}  // namespace

BackfillApplySummary run_backfill_apply(const BackfillApplyJob& job,
                                        distributed::Communicator& comm) {
  graph::refuse_cached_artifact(job.store_path, "fct backfill apply");  // changed in place
  const auto start = std::chrono::steady_clock::now();
  const std::string where = "fct backfill apply: store " + job.store_path + ": ";
  if (job.budget < 0) throw ConfigError("fct backfill apply: --budget must be 0 (all) or more");
  if (job.batch_size < 1) throw ConfigError("fct backfill apply: --batch-size must be at least 1");
  auto model = models::load_embedding_model(job.model_path);
  const PlannedStore planned = read_planned_store(job.store_path);

  // The model, dataset and split must be the ones the store was upgraded towards.
  const std::string target_hash =
      store::attribute_or_empty(planned.attributes, store::attribute::kTargetModelHash);
  if (target_hash != model.hash) {
    throw Error(where + "was upgraded towards model " +
                (target_hash.empty() ? std::string("(unknown)") : target_hash) +
                " (target_model_hash), but " + job.model_path + " has hash " + model.hash +
                ": its embeddings would be in another space");
  }
  if (model.model->embedding_dim() != planned.embedding_dim) {
    throw Error(where + "has embeddings of " + std::to_string(planned.embedding_dim) +
                " columns, " + job.model_path + " embeds into " +
                std::to_string(model.model->embedding_dim()));
  }
  const std::string store_dataset =
      store::attribute_or_empty(planned.attributes, store::attribute::kDataset);
  const std::string split = store::attribute_or_empty(planned.attributes, store::attribute::kSplit);
  if (store_dataset.empty() || split.empty()) {
    throw Error(where + "does not record its dataset and split (attributes 'dataset', 'split')");
  }
  config::DataConfig data = job.data;
  if (data.name.empty()) data.name = store_dataset;
  if (data.name != store_dataset) {
    throw ConfigError("fct backfill apply: --dataset " + data.name + ", but " + job.store_path +
                      " holds the " + split + " split of " + store_dataset);
  }
  const std::string model_dataset = models::trained_dataset_of(model.info);
  if (!model_dataset.empty() && model_dataset != data.name) {
    throw ConfigError("fct backfill apply: model " + job.model_path + " was trained on " +
                      model_dataset + ", not on " + data.name);
  }
  // Store ids are ids of the full split: no class filter, no limit.
  data.classes.clear();
  data.limit = 0;
  const auto dataset = data::make_dataset(data, split, &comm);

  const std::vector<int64_t> pending = pending_rows(planned);
  require_same_plan(comm, pending, job.store_path);
  const int64_t done_before = planned.rows - static_cast<int64_t>(pending.size());
  const int64_t take = job.budget > 0 ? std::min<int64_t>(job.budget, pending.size())
                                      : static_cast<int64_t>(pending.size());

  // Dataset index of every item to re-embed, and the check that the store's ids and labels are
  // the dataset's.
  std::unordered_map<int64_t, int64_t> index_of;
  index_of.reserve(static_cast<std::size_t>(dataset->size()));
  for (int64_t i = 0; i < dataset->size(); ++i) index_of.emplace(dataset->id(i), i);
  const int64_t* ids = planned.ids.data_ptr<int64_t>();
  const int64_t* labels = planned.labels.data_ptr<int64_t>();
  std::vector<int64_t> sample(static_cast<std::size_t>(take));
  for (int64_t k = 0; k < take; ++k) {
    const int64_t row = pending[static_cast<std::size_t>(k)];
    const auto found = index_of.find(ids[row]);
    if (found == index_of.end()) {
      throw DataError(
          fmt::format("{}sample id {} (row {}) is not in the {} split of {} ({} samples)", where,
                      ids[row], row, split, data.name, dataset->size()));
    }
    if (dataset->label(found->second) != labels[row]) {
      throw DataError(fmt::format(
          "{}sample id {} (row {}) has label {} in the store but {} in the {} split of {}: another "
          "dataset",
          where, ids[row], row, labels[row], dataset->label(found->second), split, data.name));
    }
    sample[static_cast<std::size_t>(k)] = found->second;
  }

  int64_t next_batch = 0;
  {
    const auto done = planned.embedded_by.eq(store::kEmbeddedByNewModel);
    if (done.any().item<bool>()) {
      next_batch = planned.batch.masked_select(done).max().item<int64_t>() + 1;
    }
  }

  // Rank 0 alone opens the store for writing, once every rank has closed it.
  comm.barrier();
  std::optional<store::StoreUpdater> updater;
  {
    std::exception_ptr failure;
    try {
      if (comm.rank() == 0) updater.emplace(job.store_path);
    } catch (...) {
      failure = std::current_exception();
    }
    distributed::fail_together(comm, failure, "opening " + job.store_path + " for writing");
  }

  model.model->to(job.device);
  model.model->eval();
  torch::NoGradGuard no_grad;
  const data::Transform transform = data::eval_transform(data);
  const torch::Device gather_device = comm.device();
  const int64_t d = planned.embedding_dim;
  const int64_t batches = (take + job.batch_size - 1) / job.batch_size;
  train::ProgressBar bar("backfill apply", take, "img", job.show_progress && comm.rank() == 0);
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t first = b * job.batch_size;
    const int64_t count = std::min(job.batch_size, take - first);
    const auto [begin, end] = store::rank_rows(count, comm.rank(), comm.size());
    const int64_t largest_share = (count + comm.size() - 1) / comm.size();
    torch::Tensor share = torch::zeros({largest_share, d}, torch::kFloat32);
    std::exception_ptr failure;
    try {
      if (end > begin) {
        std::vector<int64_t> indices(sample.begin() + first + begin, sample.begin() + first + end);
        data::LoaderOptions options;
        options.batch_size = end - begin;
        options.pin_memory = job.device.is_cuda();
        data::BatchLoader loader(*dataset, indices, transform, options);
        const auto batch = loader.next();
        if (!batch) throw Error(where + "the loader returned no batch");
        const auto images = batch->images.to(job.device);
        auto& embedding_model = *model.model;
        const auto embeddings = models::forward_in_slices(
            embedding_model.backbone(), images,
            [&](const torch::Tensor& slice) { return embedding_model.embed(slice); });
        share.slice(0, 0, end - begin).copy_(embeddings.to(torch::kCPU));
      }
    } catch (...) {
      failure = std::current_exception();
    }
    distributed::fail_together(comm, failure, "re-embedding items of " + job.store_path);
    const torch::Tensor gathered = comm.all_gather(share.to(gather_device)).to(torch::kCPU);

    try {
      if (comm.rank() == 0) {
        std::vector<torch::Tensor> parts;
        for (int r = 0; r < comm.size(); ++r) {
          const auto [r_begin, r_end] = store::rank_rows(count, r, comm.size());
          parts.push_back(gathered[r].slice(0, 0, r_end - r_begin));
        }
        const torch::Tensor embeddings = torch::cat(parts).contiguous();
        const torch::Tensor rows = torch::tensor(
            std::vector<int64_t>(pending.begin() + first, pending.begin() + first + count),
            torch::kInt64);
        // See Note [Crash-safe backfilling]: values, flush, then the marks, flush.
        updater->write_rows(store::kEmbeddings, rows, embeddings);
        updater->flush();
        updater->write_rows(store::kBackfillBatch, rows,
                            torch::full({count}, next_batch, torch::kInt64));
        updater->write_rows(store::kEmbeddedBy, rows,
                            torch::full({count}, store::kEmbeddedByNewModel, torch::kInt64));
        updater->flush();
      }
    } catch (...) {
      failure = std::current_exception();
    }
    distributed::fail_together(comm, failure, "writing re-embedded items into " + job.store_path);
    const int64_t total = done_before + first + count;
    spdlog::info(
        "backfill batch {}: re-embedded {} items (plan positions from {}), {}/{} in the "
        "store",
        next_batch, count,
        planned.position.data_ptr<int64_t>()[pending[static_cast<std::size_t>(first)]], total,
        planned.rows);
    ++next_batch;
    bar.update(first + count);
  }
  bar.finish();
  if (updater) updater->close();
  comm.barrier();

  BackfillApplySummary summary;
  summary.rows = planned.rows;
  summary.reembedded = take;
  summary.total = done_before + take;
  summary.remaining = planned.rows - summary.total;
  summary.batches = batches;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace fct::backfill
