// Runs under mpirun (2 and 3 ranks): stores written by every rank with StoreWriter, then updated in
// place by rank 0 alone with StoreUpdater (framework/store/store_updater.h): every column kind
// (float32 of any width, int64 fixed and extra columns) takes rows in any order and reads back
// exactly; empty updates change nothing; wrong rows, shapes and dtypes are refused with the file,
// the column and the problem named and nothing written; use after close() is refused; files
// HDF5 could not update without touching metadata are refused; and h5py still reads the result.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/distributed/communicator.h"
#include "framework/store/store_reader.h"
#include "framework/store/store_updater.h"
#include "framework/store/store_writer.h"
#include "tests/mpi_shared_dir.h"
#include "tests/test_support.h"

namespace fct::store {
namespace {

using fct::testing::broadcast_text;
using fct::testing::mpi_rank;
using fct::testing::SharedDir;

// One communicator per process, as in fct's commands (a static: its destructor runs after
// MPI_Finalize and then does nothing).
distributed::Communicator& world_comm() {
  static const auto comm = distributed::make_communicator("mpi", {});
  return *comm;
}

int world() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an fct::Error";
  return "";
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// 10 rows; float columns of widths 3 (embeddings), 2 (side_info), 1 and 4; an int64 extra column.
// Extra columns in name order, as the reader lists them.
StoreLayout test_layout() {
  StoreLayout layout;
  layout.rows = 10;
  layout.embedding_dim = 3;
  layout.side_info_dim = 2;
  layout.extra_columns = {{"position", 0}, {"sigma", 1}, {"target", 4}};
  return layout;
}

// The values a fresh store holds in rows [begin, end): all distinct and exact in float32.
StoreRows initial_rows(const StoreLayout& layout, int64_t begin, int64_t end) {
  const auto row = torch::arange(begin, end, torch::kFloat64).unsqueeze(1);
  const auto columns = [](int64_t width) { return torch::arange(width, torch::kFloat64); };
  StoreRows rows;
  rows.embeddings = (row * 10 + columns(layout.embedding_dim) + 0.5).to(torch::kFloat32);
  rows.labels = torch::arange(begin, end, torch::kInt64) % 4;
  rows.ids = torch::arange(begin, end, torch::kInt64) + 1000;
  rows.side_info = (-row - columns(layout.side_info_dim) * 0.25).to(torch::kFloat32);
  for (const auto& [name, width] : layout.extra_columns) {
    rows.extra[name] = width == 0 ? torch::arange(begin, end, torch::kInt64) * 3 - 1
                                  : (row * 100 + columns(width) + 0.75).to(torch::kFloat32);
  }
  return rows;
}

// Collective: every rank writes its even share of the rows in one round, then commits.
void write_store(const std::string& path, const StoreLayout& layout) {
  StoreWriter writer(world_comm(), path, layout, {{"model", "old"}, {"split", "test"}});
  const auto [begin, end] = rank_rows(layout.rows, mpi_rank(), world());
  if (end > begin) {
    writer.write_rows(begin, initial_rows(layout, begin, end));
  } else {
    writer.write_rows(0, StoreRows{});
  }
  writer.commit();
}

void expect_same(const torch::Tensor& actual, const torch::Tensor& expected,
                 const std::string& name) {
  ASSERT_TRUE(actual.defined()) << name;
  EXPECT_EQ(actual.scalar_type(), expected.scalar_type()) << name;
  EXPECT_EQ(actual.sizes().vec(), expected.sizes().vec()) << name;
  EXPECT_TRUE(torch::equal(actual, expected)) << name << ":\n"
                                              << actual << "\nexpected\n"
                                              << expected;
}

void expect_store_holds(const std::string& path, const StoreRows& expected) {
  const StoreRows actual = StoreReader(path).read_all();
  expect_same(actual.embeddings, expected.embeddings, "embeddings");
  expect_same(actual.labels, expected.labels, "labels");
  expect_same(actual.ids, expected.ids, "ids");
  expect_same(actual.side_info, expected.side_info, "side_info");
  ASSERT_EQ(actual.extra.size(), expected.extra.size());
  for (const auto& [name, values] : expected.extra)
    expect_same(actual.extra.at(name), values, name);
}

torch::Tensor rows_tensor(std::vector<int64_t> rows) {
  return torch::tensor(rows, torch::kInt64);
}

// Rank 0's part of EveryColumnKindTakesRowsInAnyOrder.
void update_every_column(const std::string& path, const StoreLayout& layout) {
  StoreRows expected = initial_rows(layout, 0, layout.rows);
  StoreUpdater updater(path);
  EXPECT_EQ(updater.path(), path);
  EXPECT_EQ(updater.layout().rows, 10);
  EXPECT_EQ(updater.layout().embedding_dim, 3);
  EXPECT_EQ(updater.layout().side_info_dim, 2);
  EXPECT_EQ(updater.layout().extra_columns, layout.extra_columns);

  // Rows out of order, in two runs of consecutive rows and a single one.
  const auto embedding_rows = rows_tensor({9, 0, 8, 1, 4});
  const auto embeddings = torch::arange(15, torch::kFloat32).view({5, 3}) * -2 - 0.5;
  updater.write_rows("embeddings", embedding_rows, embeddings);
  expected.embeddings.index_copy_(0, embedding_rows, embeddings);

  updater.write_rows("side_info", rows_tensor({4}), torch::tensor({{7.25f, -7.25f}}));
  expected.side_info[4] = torch::tensor({7.25f, -7.25f});

  const auto target_rows = rows_tensor({3, 2, 1});
  const auto target = torch::full({3, 4}, 42.5f) + torch::arange(12, torch::kFloat32).view({3, 4});
  updater.write_rows("target", target_rows, target);
  expected.extra["target"].index_copy_(0, target_rows, target);

  updater.write_rows("sigma", rows_tensor({5, 6}), torch::tensor({{0.125f}, {0.25f}}));
  expected.extra["sigma"][5][0] = 0.125f;
  expected.extra["sigma"][6][0] = 0.25f;
  updater.flush();  // flushes between writes leave the file open for more

  const auto position_rows = rows_tensor({8, 6, 7});
  const auto positions = rows_tensor({-8, -6, -7});
  updater.write_rows("position", position_rows, positions);
  expected.extra["position"].index_copy_(0, position_rows, positions);

  updater.write_rows("labels", rows_tensor({2}), rows_tensor({77}));
  expected.labels[2] = 77;
  updater.write_rows("ids", rows_tensor({0, 9}), rows_tensor({5000, 5009}));
  expected.ids[0] = 5000;
  expected.ids[9] = 5009;
  updater.close();

  expect_store_holds(path, expected);
  // The attributes are untouched.
  EXPECT_EQ(StoreReader(path).attribute("model"), "old");
}

TEST(StoreUpdater, EveryColumnKindTakesRowsInAnyOrder) {
  SharedDir dir("fct-store-updater");
  const std::string path = dir.file("store.h5");
  const StoreLayout layout = test_layout();
  write_store(path, layout);
  if (mpi_rank() == 0) update_every_column(path, layout);
  MPI_Barrier(MPI_COMM_WORLD);
}

// Rank 0's part of AFullRewriteInReverseOrder.
void rewrite_all_rows(const std::string& path, const StoreLayout& layout) {
  StoreRows expected = initial_rows(layout, 0, layout.rows);
  const auto reverse = torch::arange(layout.rows - 1, -1, -1, torch::kInt64);
  const auto values = torch::arange(layout.rows * 3, torch::kFloat32).view({layout.rows, 3});
  {
    StoreUpdater updater(path);
    updater.write_rows("embeddings", reverse, values);
  }  // the destructor flushes and closes
  expected.embeddings.index_copy_(0, reverse, values);
  expect_store_holds(path, expected);
  // Row 0 holds the last values given: they went where their row said, not in input order.
  expect_same(StoreReader(path).read_column("embeddings", 0, 1),
              torch::tensor({{27.0f, 28.0f, 29.0f}}), "row 0");
}

TEST(StoreUpdater, AFullRewriteInReverseOrderClosedByTheDestructor) {
  SharedDir dir("fct-store-updater");
  const std::string path = dir.file("store.h5");
  const StoreLayout layout = test_layout();
  write_store(path, layout);
  if (mpi_rank() == 0) rewrite_all_rows(path, layout);
  MPI_Barrier(MPI_COMM_WORLD);
}

// Rank 0's part of WrongInputIsRefusedAndWritesNothing.
void refuse_wrong_input(const std::string& path) {
  const std::string before = file_bytes(path);
  StoreUpdater updater(path);
  const std::string prefix = "store " + path + ": write_rows of column ";
  const auto two = rows_tensor({1, 2});
  const auto message = [&](const std::string& column, const torch::Tensor& rows,
                           const torch::Tensor& values) {
    return error_of([&] { updater.write_rows(column, rows, values); });
  };
  // Shapes and dtypes of the values.
  EXPECT_EQ(message("embeddings", two, torch::zeros({2})),
            prefix + "'embeddings': values must be float32 [2, 3], got float32 [2]");
  EXPECT_EQ(message("embeddings", two, torch::zeros({2, 3}, torch::kFloat64)),
            prefix + "'embeddings': values must be float32 [2, 3], got float64 [2, 3]");
  EXPECT_EQ(message("embeddings", two, torch::zeros({3, 3})),
            prefix + "'embeddings': values must be float32 [2, 3], got float32 [3, 3]");
  EXPECT_EQ(message("sigma", two, torch::zeros({2})),
            prefix + "'sigma': values must be float32 [2, 1], got float32 [2]");
  EXPECT_EQ(message("labels", two, torch::zeros({2})),
            prefix + "'labels': values must be int64 [2], got float32 [2]");
  EXPECT_EQ(message("position", two, torch::zeros({2, 1}, torch::kInt64)),
            prefix + "'position': values must be int64 [2], got int64 [2, 1]");
  EXPECT_EQ(message("ids", two, torch::zeros({2}, torch::kInt32)),
            prefix + "'ids': values must be int64 [2], got int32 [2]");
  EXPECT_EQ(message("ids", two, torch::Tensor()),
            prefix + "'ids': values must be int64 [2], got nothing");
  // The rows.
  EXPECT_EQ(message("ids", torch::tensor({1, 2}, torch::kInt32), torch::zeros({2}, torch::kInt64)),
            prefix + "'ids': rows must be int64 [n], got int32 [2]");
  EXPECT_EQ(message("ids", two.view({2, 1}), torch::zeros({2}, torch::kInt64)),
            prefix + "'ids': rows must be int64 [n], got int64 [2, 1]");
  EXPECT_EQ(message("ids", torch::Tensor(), torch::zeros({2}, torch::kInt64)),
            prefix + "'ids': rows must be int64 [n], got nothing");
  EXPECT_EQ(message("ids", rows_tensor({3, -1}), torch::zeros({2}, torch::kInt64)),
            prefix + "'ids': row -1 is outside the store's rows [0, 10)");
  EXPECT_EQ(message("ids", rows_tensor({10, 3}), torch::zeros({2}, torch::kInt64)),
            prefix + "'ids': row 10 is outside the store's rows [0, 10)");
  EXPECT_EQ(message("target", rows_tensor({4, 5, 4}), torch::zeros({3, 4})),
            prefix + "'target': row 4 is given twice");
  // The column.
  EXPECT_EQ(message("paths", two, torch::zeros({2})),
            prefix +
                "'paths': the store has no such column (it has: embeddings, labels, ids, "
                "side_info, position, sigma, target)");
  // A bad row among good ones writes none of them.
  EXPECT_THROW(updater.write_rows("embeddings", rows_tensor({0, 1, 12}), torch::ones({3, 3})),
               Error);
  updater.close();
  EXPECT_EQ(file_bytes(path), before);
}

TEST(StoreUpdater, WrongInputIsRefusedNamingTheProblemAndWritesNothing) {
  SharedDir dir("fct-store-updater");
  const std::string path = dir.file("store.h5");
  write_store(path, test_layout());
  if (mpi_rank() == 0) refuse_wrong_input(path);
  MPI_Barrier(MPI_COMM_WORLD);
}

// Rank 0's part of EmptyUpdatesAndUseAfterClose.
void empty_updates_and_close(const std::string& path) {
  const std::string before = file_bytes(path);
  StoreUpdater updater(path);
  // No rows is a valid update that writes nothing; its values still need the column's shape.
  EXPECT_NO_THROW(updater.write_rows("target", rows_tensor({}), torch::zeros({0, 4})));
  EXPECT_NO_THROW(updater.write_rows("position", rows_tensor({}), rows_tensor({})));
  EXPECT_EQ(error_of([&] {
              updater.write_rows("target", rows_tensor({}), torch::zeros({0, 3}));
            }),
            "store " + path +
                ": write_rows of column 'target': values must be float32 [0, 4], got float32 "
                "[0, 3]");
  updater.close();
  EXPECT_EQ(file_bytes(path), before);

  EXPECT_EQ(error_of([&] { updater.close(); }), "store " + path + ": close() called twice");
  EXPECT_EQ(error_of([&] { updater.flush(); }), "store " + path + ": flush after close()");
  EXPECT_EQ(error_of([&] { updater.write_rows("labels", rows_tensor({0}), rows_tensor({1})); }),
            "store " + path + ": write_rows after close()");
}  // the destructor of a closed updater does nothing (and does not throw)

TEST(StoreUpdater, EmptyUpdatesChangeNothingAndAClosedUpdaterRefusesWork) {
  SharedDir dir("fct-store-updater");
  const std::string path = dir.file("store.h5");
  write_store(path, test_layout());
  if (mpi_rank() == 0) empty_updates_and_close(path);
  MPI_Barrier(MPI_COMM_WORLD);
}

// A minimal store written with the serial HDF5 API: embeddings float32 [rows, 2] (left unwritten,
// so without allocated storage, unless `fill`), labels and ids int64 [rows], the version attribute;
// with `latest`, in the newest file format (a version 3 superblock, which records "open for
// writing" in the file).
void write_raw_store(const std::string& path, hsize_t rows, bool latest, bool fill) {
  const hid_t access = H5Pcreate(H5P_FILE_ACCESS);
  if (latest) H5Pset_libver_bounds(access, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access);
  H5Pclose(access);
  ASSERT_GE(file, 0) << path;
  const hsize_t dims[2] = {rows, 2};
  const hid_t matrix = H5Screate_simple(2, dims, nullptr);
  const hid_t vector = H5Screate_simple(1, dims, nullptr);
  const std::vector<float> floats(rows * 2, 1.5f);
  const std::vector<int64_t> ints(rows, 3);
  hid_t dataset =
      H5Dcreate2(file, "embeddings", H5T_IEEE_F32LE, matrix, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (fill) H5Dwrite(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, floats.data());
  H5Dclose(dataset);
  for (const char* name : {"labels", "ids"}) {
    dataset = H5Dcreate2(file, name, H5T_STD_I64LE, vector, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints.data());
    H5Dclose(dataset);
  }
  const hid_t text = H5Tcopy(H5T_C_S1);
  H5Tset_size(text, H5T_VARIABLE);
  H5Tset_cset(text, H5T_CSET_UTF8);
  const hid_t scalar = H5Screate(H5S_SCALAR);
  const hid_t attribute =
      H5Acreate2(file, "fct_store_version", text, scalar, H5P_DEFAULT, H5P_DEFAULT);
  const char* version = "1";
  H5Awrite(attribute, text, &version);
  H5Aclose(attribute);
  H5Sclose(scalar);
  H5Tclose(text);
  H5Sclose(vector);
  H5Sclose(matrix);
  ASSERT_GE(H5Fclose(file), 0);
}

// Rank 0's part of FilesThatCannotBeUpdatedInPlaceAreRefused.
void refuse_unsafe_files(const SharedDir& dir) {
  // A complete store (the reader opens it) whose superblock would record the updater's opening.
  const std::string latest = dir.file("latest.h5");
  write_raw_store(latest, 4, /*latest=*/true, /*fill=*/true);
  EXPECT_EQ(StoreReader(latest).rows(), 4);
  const std::string before = file_bytes(latest);
  const std::string message = error_of([&] { StoreUpdater updater(latest); });
  EXPECT_EQ(message.rfind("store " + latest + ": its HDF5 superblock is version 3", 0), 0u)
      << message;
  EXPECT_NE(message.find("h5repack"), std::string::npos) << message;
  EXPECT_EQ(file_bytes(latest), before) << "a refused file must not even be opened for writing";

  // A column whose storage HDF5 would allocate (metadata) on the first write.
  const std::string unallocated = dir.file("unallocated.h5");
  write_raw_store(unallocated, 4, /*latest=*/false, /*fill=*/false);
  EXPECT_EQ(StoreReader(unallocated).rows(), 4);
  const std::string no_storage = error_of([&] { StoreUpdater updater(unallocated); });
  EXPECT_NE(
      no_storage.find("store " + unallocated + ": dataset 'embeddings' has no storage allocated"),
      std::string::npos)
      << no_storage;

  // The same file with its storage written is accepted: the refusals above were about the file.
  const std::string fine = dir.file("fine.h5");
  write_raw_store(fine, 4, /*latest=*/false, /*fill=*/true);
  StoreUpdater updater(fine);
  updater.write_rows("embeddings", rows_tensor({3}), torch::tensor({{-1.0f, -2.0f}}));
  updater.close();
  expect_same(StoreReader(fine).read_column("embeddings", 2, 4),
              torch::tensor({{1.5f, 1.5f}, {-1.0f, -2.0f}}), "fine.h5 rows 2, 3");

  // Not a store at all.
  fct::testing::write_text_file(dir.file("text.h5"), "not HDF5\n");
  EXPECT_NE(error_of([&] { StoreUpdater updater(dir.file("text.h5")); }).find("not an HDF5 file"),
            std::string::npos);
}

TEST(StoreUpdater, FilesThatCannotBeUpdatedInPlaceAreRefused) {
  SharedDir dir("fct-store-updater");
  if (mpi_rank() == 0) refuse_unsafe_files(dir);
  MPI_Barrier(MPI_COMM_WORLD);
}

// Rank 0's part of H5pyReadsTheUpdatedStore.
void update_then_read_with_h5py(const SharedDir& dir, const std::string& python) {
  const std::string path = dir.file("store.h5");
  {
    StoreUpdater updater(path);
    updater.write_rows("embeddings", rows_tensor({9}), torch::tensor({{-1.5f, 2.25f, 100.0f}}));
    updater.write_rows("position", rows_tensor({0, 5}), rows_tensor({-40, 41}));
    updater.write_rows("target", rows_tensor({2}), torch::full({1, 4}, 0.5f));
    updater.close();
  }
  fct::testing::write_text_file(dir.file("check.py"), R"(
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    print("version", f.attrs["fct_store_version"], type(f.attrs["fct_store_version"]).__name__)
    for name in sorted(f.keys()):
        print("dataset", name, f[name].dtype, f[name].shape)
    print("row 9:", " ".join(str(float(v)) for v in f["embeddings"][9]))
    print("row 8:", " ".join(str(float(v)) for v in f["embeddings"][8]))
    print("position:", " ".join(str(int(v)) for v in f["position"][...]))
    print("target 2:", " ".join(str(float(v)) for v in f["target"][2]))
)");
  const auto result = fct::testing::run_command({python, dir.file("check.py"), path}, 120);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  // Rows 0..9 of position were 3 r - 1: -1 2 5 8 11 14 17 20 23 26.
  for (const std::string line :
       {"version 1 str", "dataset embeddings float32 (10, 3)", "dataset ids int64 (10,)",
        "dataset labels int64 (10,)", "dataset position int64 (10,)",
        "dataset side_info float32 (10, 2)", "dataset sigma float32 (10, 1)",
        "dataset target float32 (10, 4)", "row 9: -1.5 2.25 100.0", "row 8: 80.5 81.5 82.5",
        "position: -40 2 5 8 11 41 17 20 23 26", "target 2: 0.5 0.5 0.5 0.5"}) {
    EXPECT_NE(result.output.find(line + "\n"), std::string::npos)
        << "missing '" << line << "' in:\n"
        << result.output;
  }
}

TEST(StoreUpdater, H5pyReadsTheUpdatedStore) {
  SharedDir dir("fct-store-updater");
  const std::string python = "/usr/bin/python3";
  bool have_h5py = false;
  if (mpi_rank() == 0) {
    have_h5py = std::filesystem::exists(python) &&
                fct::testing::run_command({python, "-c", "import h5py, numpy"}, 60).exit_code == 0;
  }
  if (broadcast_text(have_h5py ? "1" : "0") != "1") GTEST_SKIP() << python << " has no h5py";
  write_store(dir.file("store.h5"), test_layout());
  if (mpi_rank() == 0) update_then_read_with_h5py(dir, python);
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace fct::store
