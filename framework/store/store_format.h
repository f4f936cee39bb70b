// The embedding store: one HDF5 file per (model, split) holding what a model computed for every
// sample of the split, readable by h5py as is. See Note [Store file format].
//
// Note [Store file format]
// Datasets at the root, all with the same number of rows N (row i = the i-th stored sample):
//   embeddings  float32 [N, d]   the model's embedding of the sample
//   labels      int64   [N]      its class label
//   ids         int64   [N]      its index in the split
//   side_info   float32 [N, s]   optional: the FCT side-information vector
//   <name>      float32 [N, k]   optional extra columns by name (e.g. `target` in a feature cache
//                                holding phi_old in embeddings, psi in side_info, phi_new in
//                                target; `sigma` [N, 1] in a store upgraded by an h with an
//                                uncertainty head)
//   <name>      int64   [N]      optional extra integer columns by name, width 0 in StoreLayout
//                                (e.g. the partial-backfilling columns `backfill_position`,
//                                `embedded_by`, `backfill_batch`: docs/backfilling.md)
// Any other root dataset must be such an extra column (else the store is rejected); groups are
// not part of a store and readers ignore them.
// Root attributes are scalar variable-length UTF-8 strings (h5py returns them as str):
// `fct_store_version` = "1" always, plus whatever the writer's caller gives (model, model_hash,
// config, git_revision, created, dataset, split, ...). Readers also accept fixed-length strings
// and render scalar integer/float attributes as text. Datasets are contiguous, unfiltered,
// little-endian, and their storage is allocated when the file is created (so StoreUpdater can
// rewrite rows in place without touching HDF5 metadata). A store only ever appears under its final
// name complete (Note [Write, then rename] in core/atomic_file.h): StoreWriter writes to a
// temporary name and renames at commit(); StoreUpdater (store_updater.h) is the one exception,
// overwriting raw rows of a committed store in place.
// An HDF5 file without `fct_store_version` is not a store, whatever it holds: nothing says which
// model made its vectors. One with embeddings and labels written by h5py or numpy (a foreign file,
// foreign_embeddings.h) becomes a store with `fct store import`, and `fct eval` reads it directly.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace fct::store {

using Attributes = std::map<std::string, std::string>;

// The value of the `fct_store_version` attribute that this build writes and reads.
inline constexpr const char* kStoreVersion = "1";
inline constexpr const char* kVersionAttribute = "fct_store_version";

// Names of the fixed columns.
inline constexpr const char* kEmbeddings = "embeddings";
inline constexpr const char* kLabels = "labels";
inline constexpr const char* kIds = "ids";
inline constexpr const char* kSideInfo = "side_info";
// The feature cache's extra column: φ_new of each view, beside φ_old (embeddings) and ψ.
inline constexpr const char* kTarget = "target";

// A store upgraded by an h with the σ head (FastFill): each item's predicted uncertainty,
// float32 [N, 1].
inline constexpr const char* kSigma = "sigma";
// The partial-backfilling columns, int64 [N] (docs/backfilling.md): the item's place in the
// backfilling order, what embedded it (kEmbeddedByTransformation or kEmbeddedByNewModel), and the
// `fct backfill apply` batch that re-embedded it (-1: none yet).
inline constexpr const char* kBackfillPosition = "backfill_position";
inline constexpr const char* kEmbeddedBy = "embedded_by";
inline constexpr const char* kBackfillBatch = "backfill_batch";
inline constexpr int64_t kEmbeddedByTransformation = 0;
inline constexpr int64_t kEmbeddedByNewModel = 1;

// Names of the root attributes that fct writes and checks: which models made the vectors (their
// file hashes are what a reader compares), from what data, and the provenance of the file.
namespace attribute {
inline constexpr const char* kModel = "model";
inline constexpr const char* kModelKind = "model_kind";
inline constexpr const char* kModelHash = "model_hash";
inline constexpr const char* kSideInfoModel = "side_info_model";
inline constexpr const char* kSideInfoModelHash = "side_info_model_hash";
inline constexpr const char* kTargetModelHash = "target_model_hash";  // the φ_new h maps into
inline constexpr const char* kSourceModel = "source_model";  // the store an upgraded one came from
inline constexpr const char* kDataset = "dataset";
inline constexpr const char* kSplit = "split";
inline constexpr const char* kConfig = "config";
inline constexpr const char* kGitRevision = "git_revision";
inline constexpr const char* kCreated = "created";
inline constexpr const char* kSideInfoConfig = "side_info_config";  // ψ's config YAML
// An upgraded store (fct transform): where its rows came from.
inline constexpr const char* kSourceStore = "source_store";
inline constexpr const char* kSourceModelHash = "source_model_hash";
// A planned store (fct backfill plan).
inline constexpr const char* kBackfillOrder = "backfill_order";  // the order a plan follows
inline constexpr const char* kBackfillSeed = "backfill_seed";
inline constexpr const char* kBackfillPlanned = "backfill_planned";     // UTC time of the plan
inline constexpr const char* kBackfillNewStore = "backfill_new_store";  // the distance oracle's
// An imported store (fct store import, foreign_embeddings.h): the file its rows came from (absolute
// path, FNV-1a hash of its bytes), which of its datasets became which column, and the provenance
// the file could not give (comma-separated attribute or column names, e.g. "ids, model_hash").
inline constexpr const char* kImportedFrom = "imported_from";
inline constexpr const char* kImportedFromHash = "imported_from_hash";
inline constexpr const char* kImportedColumns = "imported_columns";
inline constexpr const char* kImportedMissing = "imported_missing";
// The feature cache: K augmented views of N training images, row v * N + i.
inline constexpr const char* kViews = "views";
inline constexpr const char* kRowsPerView = "rows_per_view";
}  // namespace attribute

// The model_kind of an imported store: its vectors come from outside fct, no model file names them.
inline constexpr const char* kImportedModelKind = "imported";

// "embedded_by_<value>": the file hash of the model whose vectors carry that kEmbeddedBy value.
std::string embedded_by_attribute(int64_t value);

// The attributes every store written by fct carries: the model (name, file hash, config YAML),
// the data (dataset, split), this build's git revision and the time of writing.
Attributes provenance_attributes(const std::string& model, const std::string& model_hash,
                                 const std::string& config_yaml, const std::string& dataset,
                                 const std::string& split);

struct StoreLayout {
  int64_t rows = 0;
  int64_t embedding_dim = 0;
  int64_t side_info_dim = 0;  // 0 = no side_info column
  // name, width: float32 [N, width] for width >= 1, int64 [N] for width 0.
  std::vector<std::pair<std::string, int64_t>> extra_columns;
};

// A block of consecutive rows. embeddings float32 [n, d], labels and ids int64 [n], side_info
// float32 [n, s] (undefined when the store has none), extra columns by name: float32 [n, k], or
// int64 [n] for a column of width 0.
struct StoreRows {
  torch::Tensor embeddings, labels, ids, side_info;
  std::map<std::string, torch::Tensor> extra;
  // n: the first dimension of the first defined fixed column (embeddings, labels, ids); 0 when
  // none is defined (the "nothing to write this round" value).
  int64_t size() const;
};

// Even split of `rows` rows across `world` ranks: this rank's [begin, end). The first
// rows % world ranks get one row more; ranks past the rows get an empty range.
std::pair<int64_t, int64_t> rank_rows(int64_t rows, int rank, int world);

// The value of attribute `key`, or "" when there is none (for optional provenance).
std::string attribute_or_empty(const Attributes& attributes, const std::string& key);

// "float32", "int64", ... for messages.
std::string dtype_name(torch::ScalarType type);

// "[3, 5]" for messages.
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace fct::store
