// Foreign embeddings files: HDF5 files written outside fct (h5py, numpy) holding embeddings
// (N × d) and labels (N), ids optionally, and no `fct_store_version` attribute. Such a file says
// nothing of the model that made its vectors, so it is not a store; ForeignEmbeddingsReader is the
// one reader of it: `fct store import` (store_import.h) writes what it reads into a store, and
// `fct eval` reads it directly (embedding_file.h), so the two never disagree about a file.
#pragma once

#include <memory>
#include <string>

#include "framework/store/store_format.h"

namespace fct::store {

// Which datasets hold what: paths from the file's root ("feats", "data/feats").
struct ForeignColumnNames {
  std::string embeddings = kEmbeddings;
  std::string labels = kLabels;
  // "": the dataset `ids` when the file has one, else the row indices 0..N-1.
  std::string ids;
};

class ForeignEmbeddingsReader {
 public:
  // Opens and checks the file. fct::DataError naming the file and the dataset when a dataset is
  // missing (the message lists what the file has), is not numeric (embeddings: floats or integers;
  // labels and ids: integers), has the wrong rank (embeddings [N, d]; labels, ids [N] or [N, 1]),
  // or when the row counts differ. fct::Error for a missing or non-HDF5 file, and for an fct store
  // (it needs no import).
  explicit ForeignEmbeddingsReader(const std::string& path, const ForeignColumnNames& names = {});
  ~ForeignEmbeddingsReader();
  ForeignEmbeddingsReader(ForeignEmbeddingsReader&&) noexcept;
  ForeignEmbeddingsReader& operator=(ForeignEmbeddingsReader&&) noexcept;
  ForeignEmbeddingsReader(const ForeignEmbeddingsReader&) = delete;
  ForeignEmbeddingsReader& operator=(const ForeignEmbeddingsReader&) = delete;

  const std::string& path() const;
  int64_t rows() const;
  int64_t embedding_dim() const;
  // False: the file has no ids, and read() gives the row indices in their place.
  bool has_ids() const;

  // Rows [begin, end) as a store holds them: embeddings float32 [n, d], labels and ids int64 [n]
  // (HDF5 converts the stored types). fct::DataError naming the file, the dataset and the row for
  // an embedding that is NaN or infinite (also one that float32 cannot hold).
  StoreRows read(int64_t begin, int64_t end) const;

  // Which dataset became which column, with its stored type, for provenance:
  // "embeddings=feats float64 [100, 8], labels=y int32 [100], ids=(row index)".
  std::string columns_text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What a file is, from its root alone (cheap: no data is read).
enum class FileKind {
  kStore,      // has `fct_store_version`; also a missing or unreadable file, or not HDF5:
               // StoreReader says what is wrong with those
  kForeign,    // no `fct_store_version`, root datasets `embeddings` and `labels`: what
               // ForeignEmbeddingsReader reads with the default names
  kOtherHdf5,  // any other HDF5 file
};
FileKind file_kind(const std::string& path);

// What to do with `path`, an HDF5 file without `fct_store_version`, for "not an fct store" errors:
// the `fct store import` command line when the file has datasets `embeddings` and `labels`, else
// the datasets it has and the options that name them.
std::string import_advice(const std::string& path);

}  // namespace fct::store
