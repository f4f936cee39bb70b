// StoreReader: reads a store (Note [Store file format] in store_format.h). Serial and read-only:
// any rank (or any process) may open the same committed store independently. Opening checks
// that the file is a complete store; reads are row ranges (hyperslabs), for streaming in chunks.
// Not for concurrent use from several threads (HDF5 here is not built thread-safe).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/store/store_format.h"

namespace fct::store {

class StoreReader {
 public:
  // fct::Error naming the file when it is missing, not an HDF5 file, or not a complete store of
  // this version (a missing or mismatched dataset: the message names the dataset and the shapes).
  // For an HDF5 file without `fct_store_version` the message says how to import it
  // (import_advice() of foreign_embeddings.h).
  explicit StoreReader(const std::string& path);
  ~StoreReader();
  StoreReader(StoreReader&&) noexcept;
  StoreReader& operator=(StoreReader&&) noexcept;
  StoreReader(const StoreReader&) = delete;
  StoreReader& operator=(const StoreReader&) = delete;

  const std::string& path() const;
  int64_t rows() const;
  int64_t embedding_dim() const;
  int64_t side_info_dim() const;  // 0: no side_info column
  // The store's layout; extra columns in name order.
  const StoreLayout& layout() const;
  // embeddings, labels, ids, side_info (when present), then the extra columns.
  std::vector<std::string> column_names() const;
  bool has_column(const std::string& name) const;

  // Every root attribute: strings as stored, scalar numbers as text.
  const Attributes& attributes() const;
  // Throws fct::Error naming the key and the file when the store lacks it.
  std::string attribute(const std::string& key) const;

  // Rows [begin, end) of every column (side_info undefined when the store has none).
  StoreRows read(int64_t begin, int64_t end) const;
  StoreRows read_all() const;
  // Rows [begin, end) of one column: float32 [n, width] or int64 [n].
  torch::Tensor read_column(const std::string& name, int64_t begin, int64_t end) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fct::store
