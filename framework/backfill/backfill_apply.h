// `fct backfill apply`: the second half of partial backfilling (docs/backfilling.md). Re-embeds
// the next `budget` items of a planned store (fct backfill plan) that still hold h's embedding,
// in plan order, from their images with the new model, and writes them into the store in place
// (store/store_updater.h). See Note [Crash-safe backfilling].
//
// Note [Crash-safe backfilling]
// The store's own `embedded_by` column is the only record of progress: a run takes the items with
// embedded_by = 0 by increasing backfill_position, so a rerun after a kill resumes where the
// store says, without a counter elsewhere that could disagree with it. Per batch, rank 0 writes
// the new embeddings, flushes (fsync), then writes backfill_batch and, last, embedded_by = 1, and
// flushes again. A kill before the second flush leaves the batch's rows with their new embedding
// (or, for the one row being written, part old and part new) but embedded_by = 0: the rerun
// embeds the same images with the same model again and overwrites them with the same values. An
// item marked embedded_by = 1 therefore always holds its complete new embedding, every item is
// marked exactly once, and a kill loses at most the batch in flight. The file stays readable
// throughout (Note [In-place store updates]).
#pragma once

#include <cstdint>
#include <string>

#include "framework/config/experiment_config.h"
#include "framework/distributed/communicator.h"

namespace fct::backfill {

struct BackfillApplyJob {
  std::string store_path;    // a planned store
  std::string model_path;    // the new model (its file hash must be the store's target_model_hash)
  config::DataConfig data;   // name ("" = the store's `dataset`), root; classes/limit ignored
  int64_t budget = 0;        // items to re-embed in this run; 0 = every remaining item
  int64_t batch_size = 256;  // items per batch, all ranks together (one flush pair per batch)
  torch::Device device = torch::kCPU;
  bool show_progress = true;
};

struct BackfillApplySummary {
  int64_t rows = 0;        // items in the gallery
  int64_t reembedded = 0;  // in this run
  int64_t total = 0;       // re-embedded in all runs so far (embedded_by = 1)
  int64_t remaining = 0;   // still h's embedding
  int64_t batches = 0;     // in this run
  double seconds = 0.0;
};

// Collective over every rank of `comm`: every rank embeds its share of each batch, rank 0 writes.
// Refuses (fct::Error naming the store and what differs) a store without a plan, a model whose
// hash is not the store's target_model_hash, a dataset or split other than the store's, and sample
// ids (or labels) that the dataset does not have.
BackfillApplySummary run_backfill_apply(const BackfillApplyJob& job, distributed::Communicator& comm);

}  // namespace fct::backfill
