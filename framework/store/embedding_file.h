// What retrieval evaluation reads from a file: embeddings, labels and ids, from an fct store or a
// foreign embeddings file (foreign_embeddings.h). A foreign file is read by the reader that
// `fct store import` uses, so evaluating it directly and evaluating its imported store give the
// same rows.
#pragma once

#include <torch/torch.h>

#include <string>

#include "framework/store/store_format.h"

namespace fct::store {

struct EmbeddingFile {
  torch::Tensor embeddings;  // float32 [N, d]
  torch::Tensor labels;      // int64 [N]
  torch::Tensor ids;         // int64 [N]; a foreign file without ids: the row indices
  Attributes attributes;     // the store's root attributes; empty for a foreign file
  // No provenance: nothing says which model made the vectors, and ids may be row indices.
  bool foreign = false;
};

// An fct store (StoreReader, with its errors), or a foreign file with datasets `embeddings` and
// `labels` (FileKind::kForeign). Any other HDF5 file is refused with StoreReader's "not an fct
// store" error, which says how to import it.
EmbeddingFile read_embedding_file(const std::string& path);

}  // namespace fct::store
