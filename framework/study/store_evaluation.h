// Retrieval evaluation of stores: loads the query and gallery stores and evaluates them with
// framework/eval/, optionally against a reference pair for the negative-flip rate.
#pragma once

#include <optional>
#include <string>

#include "framework/distributed/communicator.h"
#include "framework/eval/retrieval.h"

namespace fct::study {

// An fct store, or a foreign embeddings file with datasets `embeddings` and `labels`
// (store::read_embedding_file: the reader `fct store import` uses).
eval::EmbeddingSet load_embedding_set(const std::string& store_path);

struct StoreEvaluation {
  eval::RetrievalResult result;
  std::optional<double> negative_flips;  // with a reference pair
};

StoreEvaluation evaluate_stores(distributed::Communicator& comm, const std::string& query_path,
                                const std::string& gallery_path,
                                const eval::RetrievalOptions& options,
                                const std::string& reference_query_path = "",
                                const std::string& reference_gallery_path = "");

}  // namespace fct::study
