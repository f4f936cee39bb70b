#include "framework/store/store_import.h"

#include <filesystem>
#include <fstream>

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/core/provenance.h"
#include "framework/distributed/fail_together.h"
#include "framework/store/store_writer.h"

namespace fct::store {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code error;
  return std::filesystem::equivalent(a, b, error) && !error;
}

}  // namespace

StoreImportSummary import_store(distributed::Communicator& comm, const StoreImportJob& job) {
  if (job.chunk_rows < 1) throw Error("fct store import: chunk_rows must be >= 1");
  if (same_file(job.input_path, job.output_path)) {
    throw Error("fct store import: --out " + job.output_path +
                " is the input file; the store goes to another path");
  }
  // Every rank opens the file and reaches the same verdict on its shapes and types.
  const ForeignEmbeddingsReader input(job.input_path, job.names);

  namespace attribute = store::attribute;
  StoreImportSummary summary;
  summary.rows = input.rows();
  summary.embedding_dim = input.embedding_dim();
  summary.ids_from_file = input.has_ids();
  if (!input.has_ids()) summary.missing.push_back(kIds);
  Attributes attributes = {{attribute::kModelKind, kImportedModelKind},
                           {attribute::kGitRevision, git_revision()},
                           {attribute::kCreated, utc_timestamp()},
                           {attribute::kImportedFrom,
                            std::filesystem::absolute(job.input_path).lexically_normal().string()},
                           {attribute::kImportedFromHash, file_hash(job.input_path)},
                           {attribute::kImportedColumns, input.columns_text()}};
  const std::pair<const char*, const std::string*> given[] = {{attribute::kModel, &job.model_name},
                                                              {attribute::kModelHash, nullptr},
                                                              {attribute::kConfig, nullptr},
                                                              {attribute::kDataset, &job.dataset},
                                                              {attribute::kSplit, &job.split}};
  for (const auto& [name, value] : given) {
    if (value != nullptr && !value->empty()) {
      attributes[name] = *value;
    } else {
      summary.missing.push_back(name);
    }
  }
  attributes[attribute::kImportedMissing] = joined(summary.missing);

  StoreLayout layout;
  layout.rows = input.rows();
  layout.embedding_dim = input.embedding_dim();
  StoreWriter writer(comm, job.output_path, layout, attributes);
  const auto [begin, end] = rank_rows(input.rows(), comm.rank(), comm.size());
  const int64_t largest_share = (input.rows() + comm.size() - 1) / comm.size();
  const int64_t rounds = (largest_share + job.chunk_rows - 1) / job.chunk_rows;
  for (int64_t round = 0; round < rounds; ++round) {
    const int64_t first = std::min(end, begin + round * job.chunk_rows);
    const int64_t last = std::min(end, first + job.chunk_rows);
    StoreRows rows;
    std::exception_ptr failure;
    try {
      if (last > first) rows = input.read(first, last);
    } catch (...) {
      failure = std::current_exception();
    }
    // A NaN on one rank must stop all of them here, before the collective write, so that the
    // writer unwinds on every rank together and removes its temporary file.
    distributed::fail_together(comm, failure, "importing rows of " + job.input_path);
    writer.write_rows(first, rows);
  }
  writer.commit();
  return summary;
}

}  // namespace fct::store
