#include "framework/study/store_evaluation.h"

#include "framework/core/error.h"
#include "framework/store/embedding_file.h"

namespace fct::study {

eval::EmbeddingSet load_embedding_set(const std::string& store_path) {
  store::EmbeddingFile file = store::read_embedding_file(store_path);
  eval::EmbeddingSet set;
  set.embeddings = std::move(file.embeddings);
  set.labels = std::move(file.labels);
  set.ids = std::move(file.ids);
  return set;
}

StoreEvaluation evaluate_stores(distributed::Communicator& comm, const std::string& query_path,
                                const std::string& gallery_path,
                                const eval::RetrievalOptions& options,
                                const std::string& reference_query_path,
                                const std::string& reference_gallery_path) {
  if (reference_query_path.empty() != reference_gallery_path.empty())
    throw ConfigError("negative flips need both a reference query and a reference gallery");
  const auto query = load_embedding_set(query_path);
  const auto gallery = load_embedding_set(gallery_path);
  if (query.embeddings.size(1) != gallery.embeddings.size(1))
    throw DataError("query store " + query_path + " has embeddings of dimension " +
                    std::to_string(query.embeddings.size(1)) + ", gallery store " + gallery_path +
                    " of dimension " + std::to_string(gallery.embeddings.size(1)) +
                    ": they are not in one space");
  StoreEvaluation evaluation;
  evaluation.result = eval::evaluate_retrieval(comm, query, gallery, options);
  if (!reference_query_path.empty()) {
    const auto reference_query = load_embedding_set(reference_query_path);
    if (!reference_query.ids.equal(query.ids))
      throw DataError("reference query store " + reference_query_path +
                      " holds other samples than " + query_path +
                      ": negative flips compare the same queries");
    const auto reference = eval::evaluate_retrieval(
        comm, reference_query, load_embedding_set(reference_gallery_path), options);
    evaluation.negative_flips = eval::negative_flip_rate(reference, evaluation.result);
  }
  return evaluation;
}

}  // namespace fct::study
