#include "framework/store/embedding_file.h"

#include "framework/store/foreign_embeddings.h"
#include "framework/store/store_reader.h"

namespace fct::store {

EmbeddingFile read_embedding_file(const std::string& path) {
  EmbeddingFile file;
  if (file_kind(path) == FileKind::kForeign) {
    const ForeignEmbeddingsReader reader(path);
    StoreRows rows = reader.read(0, reader.rows());
    file.embeddings = std::move(rows.embeddings);
    file.labels = std::move(rows.labels);
    file.ids = std::move(rows.ids);
    file.foreign = true;
    return file;
  }
  const StoreReader reader(path);
  file.embeddings = reader.read_column(kEmbeddings, 0, reader.rows());
  file.labels = reader.read_column(kLabels, 0, reader.rows());
  file.ids = reader.read_column(kIds, 0, reader.rows());
  file.attributes = reader.attributes();
  return file;
}

}  // namespace fct::store
