// `fct store import`: a foreign embeddings file (foreign_embeddings.h) written into an fct store,
// so that every command that takes a store takes it, with provenance saying where the rows came
// from and what the file could not tell (which model, which data).
#pragma once

#include <string>
#include <vector>

#include "framework/distributed/communicator.h"
#include "framework/store/foreign_embeddings.h"

namespace fct::store {

struct StoreImportJob {
  std::string input_path;   // the foreign file
  std::string output_path;  // the store to write
  ForeignColumnNames names;
  // What the file cannot say; "" leaves the attribute out and names it in imported_missing.
  std::string model_name, dataset, split;
  int64_t chunk_rows = 65536;  // rows per rank and round
};

struct StoreImportSummary {
  int64_t rows = 0;
  int64_t embedding_dim = 0;
  bool ids_from_file = false;
  std::vector<std::string> missing;  // as in the imported_missing attribute
};

// Collective over `comm`: every rank reads its share of the rows (checked as
// ForeignEmbeddingsReader::read checks them) and StoreWriter writes them under a temporary name,
// renamed onto output_path once complete: a bad row anywhere leaves no output, and any file
// already at output_path untouched. Refuses an output path that is the input file.
StoreImportSummary import_store(distributed::Communicator& comm, const StoreImportJob& job);

}  // namespace fct::store
