// import_store under mpirun -np 2 and -np 3, in chunks smaller than a rank's share: the store holds
// the foreign file's rows in store types, with the provenance of an import; a NaN in the last
// rank's share stops every rank and leaves no output and no temporary, and a file already at the
// output path untouched.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <limits>

#include "framework/core/error.h"
#include "framework/store/store_import.h"
#include "framework/store/store_reader.h"
#include "tests/mpi_shared_dir.h"
#include "tests/store/h5_fixture.h"
#include "tests/test_support.h"

namespace fct::store {
namespace {

using fct::testing::mpi_rank;
using fct::testing::SharedDir;

// One per process, as in fct's commands (a static: its destructor runs after MPI_Finalize and
// then does nothing).
distributed::Communicator& world_comm() {
  static const auto comm = distributed::make_communicator("mpi", {});
  return *comm;
}

constexpr int64_t kRows = 37;

torch::Tensor foreign_embeddings() {
  return torch::arange(kRows * 5, torch::kFloat64).reshape({kRows, 5}) * 0.125 - 3.0;
}

torch::Tensor foreign_labels() {
  return torch::arange(kRows, torch::kInt64).remainder(4);
}

// Rank 0 writes, every rank waits for the file.
void write_foreign(const std::string& path, const torch::Tensor& embeddings) {
  if (mpi_rank() == 0) {
    fct::testing::write_h5(path, {{"embeddings", H5T_IEEE_F64LE, embeddings},
                                  {"labels", H5T_STD_I32LE, foreign_labels()}});
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(StoreImport, WritesTheRowsAndTheProvenanceOfAnImport) {
  SharedDir dir("fct-store-import");
  write_foreign(dir.file("foreign.h5"), foreign_embeddings());
  StoreImportJob job;
  job.input_path = dir.file("foreign.h5");
  job.output_path = dir.file("out/imported.h5");
  job.model_name = "clip";
  job.split = "test";
  job.chunk_rows = 4;  // several rounds on every rank
  const StoreImportSummary summary = import_store(world_comm(), job);
  EXPECT_EQ(summary.rows, kRows);
  EXPECT_EQ(summary.embedding_dim, 5);
  EXPECT_FALSE(summary.ids_from_file);
  EXPECT_EQ(summary.missing, (std::vector<std::string>{"ids", "model_hash", "config", "dataset"}));

  const StoreReader reader(job.output_path);
  const StoreRows rows = reader.read_all();
  EXPECT_TRUE(rows.embeddings.equal(foreign_embeddings().to(torch::kFloat32)));
  EXPECT_TRUE(rows.labels.equal(foreign_labels()));
  EXPECT_TRUE(rows.ids.equal(torch::arange(kRows, torch::kInt64)));
  EXPECT_EQ(reader.attribute("model"), "clip");
  EXPECT_EQ(reader.attribute("model_kind"), "imported");
  EXPECT_EQ(reader.attribute("split"), "test");
  EXPECT_EQ(reader.attributes().count("dataset"), 0u);
  EXPECT_EQ(reader.attributes().count("model_hash"), 0u);
  EXPECT_EQ(reader.attribute("imported_from"), dir.file("foreign.h5"));
  EXPECT_EQ(reader.attribute("imported_from_hash").size(), 16u);
  EXPECT_EQ(reader.attribute("imported_columns"),
            "embeddings=embeddings float64 [37, 5], labels=labels int32 [37], ids=(row index)");
  EXPECT_EQ(reader.attribute("imported_missing"), "ids, model_hash, config, dataset");
  EXPECT_FALSE(reader.attribute("created").empty());
  EXPECT_FALSE(reader.attribute("git_revision").empty());
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(StoreImport, ANanOnTheLastRankLeavesNoOutputAndKeepsTheOldFile) {
  SharedDir dir("fct-store-import");
  auto embeddings = foreign_embeddings();
  embeddings[kRows - 2][3] = std::numeric_limits<double>::quiet_NaN();  // the last rank's share
  write_foreign(dir.file("nan.h5"), embeddings);
  if (mpi_rank() == 0) fct::testing::write_text_file(dir.file("previous.h5"), "previous\n");
  MPI_Barrier(MPI_COMM_WORLD);
  StoreImportJob job;
  job.input_path = dir.file("nan.h5");
  job.output_path = dir.file("previous.h5");
  job.chunk_rows = 3;
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::string message;
  try {
    import_store(world_comm(), job);
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_FALSE(message.empty()) << "rank " << mpi_rank() << " did not throw";
  if (mpi_rank() == size - 1) {
    EXPECT_NE(message.find(dir.file("nan.h5") + ": dataset 'embeddings' (the embeddings), row " +
                           std::to_string(kRows - 2) + ", column 3: NaN"),
              std::string::npos)
        << message;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_EQ(fct::testing::read_text_file(dir.file("previous.h5")), "previous\n");
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"nan.h5", "previous.h5"}));
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(StoreImport, RefusesToWriteOverItsInput) {
  SharedDir dir("fct-store-import");
  write_foreign(dir.file("foreign.h5"), foreign_embeddings());
  StoreImportJob job;
  job.input_path = dir.file("foreign.h5");
  job.output_path = dir.file("./foreign.h5");
  std::string message;
  try {
    import_store(world_comm(), job);
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("is the input file"), std::string::npos) << message;
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace fct::store
