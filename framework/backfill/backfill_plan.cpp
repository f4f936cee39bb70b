#include "framework/backfill/backfill_plan.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <unordered_map>

#include "framework/core/error.h"
#include "framework/core/provenance.h"
#include "framework/distributed/fail_together.h"
#include "framework/eval/backfill_order.h"
#include "framework/graph/artifact_cache.h"
#include "framework/store/store_reader.h"
#include "framework/store/store_writer.h"

namespace fct::backfill {
namespace {

bool is_backfill_column(const std::string& name) {
  return name == store::kBackfillPosition || name == store::kEmbeddedBy ||
         name == store::kBackfillBatch;
}

// φ_new of the items of `reader`, row for row, from the new model's store of the same split
// (matched by sample id, so the two stores may list the samples in different orders).
torch::Tensor new_embeddings_for(const store::StoreReader& reader, const std::string& new_path,
                                 const std::string& target_hash) {
  const store::StoreReader updated(new_path);
  const std::string where = "fct backfill plan --order distance: ";
  const std::string new_hash =
      store::attribute_or_empty(updated.attributes(), store::attribute::kModelHash);
  if (new_hash != target_hash) {
    throw Error(where + "--new-store " + new_path + " was embedded by model " +
                (new_hash.empty() ? std::string("(unknown)") : new_hash) + ", but " +
                reader.path() + " was upgraded towards model " + target_hash +
                " (target_model_hash)");
  }
  for (const char* key : {store::attribute::kDataset, store::attribute::kSplit}) {
    if (store::attribute_or_empty(updated.attributes(), key) !=
        store::attribute_or_empty(reader.attributes(), key)) {
      throw Error(fmt::format("{}--new-store {} has {} '{}', {} has '{}'", where, new_path, key,
                              store::attribute_or_empty(updated.attributes(), key), reader.path(),
                              store::attribute_or_empty(reader.attributes(), key)));
    }
  }
  if (updated.embedding_dim() != reader.embedding_dim()) {
    throw Error(where + "--new-store " + new_path + " has embeddings of " +
                std::to_string(updated.embedding_dim()) + " columns, " + reader.path() + " of " +
                std::to_string(reader.embedding_dim()));
  }
  const torch::Tensor new_ids = updated.read_column(store::kIds, 0, updated.rows());
  const torch::Tensor ids = reader.read_column(store::kIds, 0, reader.rows());
  std::unordered_map<int64_t, int64_t> row_of;
  const int64_t* n = new_ids.data_ptr<int64_t>();
  for (int64_t r = 0; r < new_ids.size(0); ++r) row_of.emplace(n[r], r);
  std::vector<int64_t> rows(static_cast<std::size_t>(ids.size(0)));
  const int64_t* id = ids.data_ptr<int64_t>();
  for (int64_t r = 0; r < ids.size(0); ++r) {
    const auto found = row_of.find(id[r]);
    if (found == row_of.end()) {
      throw DataError(fmt::format("{}sample id {} (row {} of {}) is not in --new-store {}", where,
                                  id[r], r, reader.path(), new_path));
    }
    rows[static_cast<std::size_t>(r)] = found->second;
  }
  return updated.read_column(store::kEmbeddings, 0, updated.rows())
      .index_select(0, torch::tensor(rows, torch::kInt64));
}

}  // namespace

BackfillPlanSummary run_backfill_plan(const BackfillPlanJob& job, distributed::Communicator& comm) {
  graph::refuse_cached_artifact(job.store_path, "fct backfill plan");  // changed in place
  std::optional<store::StoreReader> reader;
  reader.emplace(job.store_path);
  const std::string where = "fct backfill plan: store " + job.store_path + ": ";
  const std::string target_hash =
      store::attribute_or_empty(reader->attributes(), store::attribute::kTargetModelHash);
  if (target_hash.empty()) {
    throw Error(where +
                "not an upgraded store (no 'target_model_hash' attribute): plan the "
                "backfilling of a store written by `fct transform`");
  }
  const int64_t rows = reader->rows();
  if (reader->has_column(store::kEmbeddedBy)) {
    const torch::Tensor embedded_by = reader->read_column(store::kEmbeddedBy, 0, rows);
    const int64_t done = embedded_by.eq(store::kEmbeddedByNewModel).sum().item<int64_t>();
    if (done > 0) {
      throw Error(
          where + std::to_string(done) + " of " + std::to_string(rows) +
          " items are re-embedded by the new model already (embedded_by = 1) under the "
          "plan '" +
          store::attribute_or_empty(reader->attributes(), store::attribute::kBackfillOrder) +
          "'; a new plan would not keep them first, so it is refused. Finish with "
          "`fct backfill apply`, or plan again on a fresh `fct transform` output");
    }
  }

  const auto& order_kind = eval::backfill_orders().get(job.order);  // unknown names: clear error
  eval::OrderInputs inputs;
  inputs.rows = rows;
  inputs.seed = job.seed;
  if (order_kind.needs == eval::OrderNeed::kSigma) {
    if (!reader->has_column(store::kSigma)) {
      throw Error(where + "the order 'sigma' needs a '" + store::kSigma +
                  "' column (σ of h's uncertainty head), which this store lacks: upgrade the "
                  "gallery with an h trained with transformation.uncertainty: true, or plan "
                  "--order random");
    }
    inputs.sigma = reader->read_column(store::kSigma, 0, rows);
  }
  if (order_kind.needs == eval::OrderNeed::kNewEmbeddings) {
    if (job.new_store_path.empty()) {
      throw Error(where +
                  "the order 'distance' is an oracle: it needs the new model's store of "
                  "the same split (--new-store NEW.h5, from `fct embed`)");
    }
    inputs.transformed = reader->read_column(store::kEmbeddings, 0, rows);
    inputs.updated = new_embeddings_for(*reader, job.new_store_path, target_hash);
  } else if (!job.new_store_path.empty()) {
    throw Error("fct backfill plan: --new-store is only for --order distance, not '" + job.order +
                "'");
  }
  const torch::Tensor order = eval::compute_backfill_order(job.order, inputs);
  torch::Tensor position = torch::empty({rows}, torch::kInt64);
  position.index_put_({order}, torch::arange(rows, torch::kInt64));

  // The same store with the plan's columns (replacing an earlier plan's) and attributes.
  store::StoreLayout layout = reader->layout();
  std::vector<std::pair<std::string, int64_t>> extras;
  for (const auto& column : layout.extra_columns) {
    if (!is_backfill_column(column.first)) extras.push_back(column);
  }
  for (const char* name : {store::kBackfillPosition, store::kEmbeddedBy, store::kBackfillBatch}) {
    extras.emplace_back(name, 0);
  }
  layout.extra_columns = extras;
  store::Attributes attributes = reader->attributes();
  attributes.erase(store::kVersionAttribute);
  attributes[store::attribute::kBackfillOrder] = job.order;
  attributes[store::attribute::kBackfillSeed] = std::to_string(job.seed);
  attributes[store::attribute::kBackfillPlanned] = utc_timestamp();
  attributes[store::embedded_by_attribute(store::kEmbeddedByTransformation)] =
      store::attribute_or_empty(reader->attributes(), store::attribute::kModelHash);
  attributes[store::embedded_by_attribute(store::kEmbeddedByNewModel)] = target_hash;
  if (!job.new_store_path.empty())
    attributes[store::attribute::kBackfillNewStore] = job.new_store_path;
  store::StoreWriter writer(comm, job.store_path, layout, attributes);

  const auto [begin, end] = store::rank_rows(rows, comm.rank(), comm.size());
  const int64_t largest_share = (rows + comm.size() - 1) / comm.size();
  const int64_t rounds = (largest_share + job.chunk_rows - 1) / job.chunk_rows;
  for (int64_t round = 0; round < rounds; ++round) {
    const int64_t first = std::min(end, begin + round * job.chunk_rows);
    const int64_t last = std::min(end, first + job.chunk_rows);
    store::StoreRows out;
    std::exception_ptr failure;
    try {
      if (last > first) {
        out = reader->read(first, last);
        for (const char* name :
             {store::kBackfillPosition, store::kEmbeddedBy, store::kBackfillBatch}) {
          out.extra.erase(name);
        }
        out.extra[store::kBackfillPosition] = position.slice(0, first, last).clone();
        out.extra[store::kEmbeddedBy] =
            torch::full({last - first}, store::kEmbeddedByTransformation, torch::kInt64);
        out.extra[store::kBackfillBatch] = torch::full({last - first}, int64_t{-1}, torch::kInt64);
      }
    } catch (...) {
      failure = std::current_exception();
    }
    distributed::fail_together(comm, failure, "copying rows of " + job.store_path);
    writer.write_rows(first, out);
  }
  reader.reset();  // the old file is closed before the new one takes its name
  writer.commit();
  spdlog::info("planned the backfilling of {} items of {} in the order '{}'{}", rows,
               job.store_path, job.order,
               order_kind.seeded ? " (seed " + std::to_string(job.seed) + ")" : std::string());
  return BackfillPlanSummary{rows, job.order};
}

}  // namespace fct::backfill
