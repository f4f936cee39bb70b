// ForeignEmbeddingsReader, file_kind, import_advice and read_embedding_file on files written here
// with the serial HDF5 C API in the types h5py and numpy write (float64, int32, uint8, [N, 1]
// labels, datasets in groups): values arrive converted to a store's types, and every bad file is an
// error naming the file and the dataset. The h5py-written files are in
// tests/cli/store_command_test.
#include "framework/store/foreign_embeddings.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <limits>

#include "framework/core/error.h"
#include "framework/store/embedding_file.h"
#include "framework/store/store_reader.h"
#include "tests/store/h5_fixture.h"
#include "tests/test_support.h"

namespace fct::store {
namespace {

using fct::testing::Dataset;
using fct::testing::write_h5;

#define EXPECT_CONTAINS(text, part)                          \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "'" << (part) << "' not in: " << (text)

// A fixed-length string dataset [n], as numpy's bytes arrays are stored.
void add_string_dataset(const std::string& path, const std::string& name, int64_t n) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, 4);
  const hsize_t dims[1] = {static_cast<hsize_t>(n)};
  const hid_t space = H5Screate_simple(1, dims, nullptr);
  const hid_t id =
      H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const std::string data(static_cast<std::size_t>(4 * n), 'a');
  ASSERT_GE(H5Dwrite(id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()), 0);
  H5Dclose(id);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
}

torch::Tensor embeddings_values(int64_t rows, int64_t dim) {
  return torch::arange(rows * dim, torch::kFloat64).reshape({rows, dim}) * 0.25 + 0.5;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no fct::Error";
  return "";
}

std::string reader_error(const std::string& path, const ForeignColumnNames& names = {}) {
  return error_of([&] { ForeignEmbeddingsReader reader(path, names); });
}

TEST(ForeignEmbeddings, ReadsNumpyTypesAsAStoreHoldsThem) {
  fct::testing::ScratchDir dir("fct-foreign");
  const std::string path = dir.file("foreign.h5");
  write_h5(path, {{"embeddings", H5T_IEEE_F64LE, embeddings_values(5, 3)},
                  {"labels", H5T_STD_I32LE, torch::tensor({4, 3, 2, 1, 0})}});
  const ForeignEmbeddingsReader reader(path);
  EXPECT_EQ(reader.rows(), 5);
  EXPECT_EQ(reader.embedding_dim(), 3);
  EXPECT_FALSE(reader.has_ids());
  const StoreRows all = reader.read(0, 5);
  EXPECT_EQ(all.embeddings.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(all.embeddings.equal(embeddings_values(5, 3).to(torch::kFloat32)));
  EXPECT_TRUE(all.labels.equal(torch::tensor({4, 3, 2, 1, 0}, torch::kInt64)));
  EXPECT_TRUE(all.ids.equal(torch::arange(5, torch::kInt64)));  // no ids: the row indices
  const StoreRows middle = reader.read(2, 4);
  EXPECT_TRUE(middle.ids.equal(torch::tensor({2, 3}, torch::kInt64)));
  EXPECT_TRUE(middle.labels.equal(torch::tensor({2, 1}, torch::kInt64)));
  EXPECT_EQ(reader.read(5, 5).size(), 0);
  EXPECT_CONTAINS(error_of([&] { reader.read(3, 6); }), "the file has rows [0, 5)");
  EXPECT_EQ(reader.columns_text(),
            "embeddings=embeddings float64 [5, 3], labels=labels int32 [5], ids=(row index)");
}

TEST(ForeignEmbeddings, NamedDatasetsInGroupsColumnLabelsAndIds) {
  fct::testing::ScratchDir dir("fct-foreign");
  const std::string path = dir.file("named.h5");
  write_h5(path, {{"data/feats", H5T_IEEE_F32LE, embeddings_values(4, 2)},
                  {"data/y", H5T_STD_U8LE, torch::tensor({{7}, {8}, {9}, {7}})},
                  {"item", H5T_STD_I64LE, torch::tensor({40, 10, 30, 20})}});
  ForeignColumnNames names;
  names.embeddings = "data/feats";
  names.labels = "data/y";
  names.ids = "item";
  const ForeignEmbeddingsReader reader(path, names);
  EXPECT_TRUE(reader.has_ids());
  const StoreRows rows = reader.read(1, 4);
  EXPECT_TRUE(rows.labels.equal(torch::tensor({8, 9, 7}, torch::kInt64)));
  EXPECT_TRUE(rows.ids.equal(torch::tensor({10, 30, 20}, torch::kInt64)));
  EXPECT_EQ(reader.columns_text(),
            "embeddings=data/feats float32 [4, 2], labels=data/y uint8 [4, 1], ids=item int64 [4]");
  // A dataset named `ids` is taken without being named.
  write_h5(dir.file("ids.h5"), {{"embeddings", H5T_IEEE_F32LE, embeddings_values(2, 2)},
                                {"labels", H5T_STD_I64LE, torch::tensor({1, 2})},
                                {"ids", H5T_STD_I16LE, torch::tensor({-5, 6})}});
  EXPECT_TRUE(ForeignEmbeddingsReader(dir.file("ids.h5"))
                  .read(0, 2)
                  .ids.equal(torch::tensor({-5, 6}, torch::kInt64)));
}

TEST(ForeignEmbeddings, BadFilesAreErrorsNamingFileAndDataset) {
  fct::testing::ScratchDir dir("fct-foreign");
  const auto file = [&](const std::string& name, const std::vector<Dataset>& datasets) {
    write_h5(dir.file(name), datasets);
    return dir.file(name);
  };
  const Dataset embeddings{"embeddings", H5T_IEEE_F32LE, embeddings_values(6, 2)};
  const Dataset labels{"labels", H5T_STD_I64LE, torch::arange(6)};

  std::string path = file("no_labels.h5", {embeddings, {"y", H5T_STD_I64LE, torch::arange(6)}});
  EXPECT_CONTAINS(reader_error(path), path +
                                          ": no dataset 'labels' for the labels; the file has "
                                          "datasets 'embeddings' float32 [6, 2], 'y' int64 [6]");
  ForeignColumnNames names;
  names.labels = "y";
  EXPECT_NO_THROW(ForeignEmbeddingsReader(path, names));
  names.ids = "missing/ids";
  EXPECT_CONTAINS(reader_error(path, names), "no dataset 'missing/ids' for the ids");

  path = file("mismatch.h5", {embeddings, {"labels", H5T_STD_I64LE, torch::arange(5)}});
  EXPECT_CONTAINS(reader_error(path), path +
                                          ": dataset 'labels' (the labels) has 5 rows, dataset "
                                          "'embeddings' (the embeddings) has 6: one label per "
                                          "embedding");
  path = file("ids_mismatch.h5", {embeddings, labels, {"ids", H5T_STD_I64LE, torch::arange(7)}});
  EXPECT_CONTAINS(reader_error(path), "dataset 'ids' (the ids) has 7 rows");

  path = file("float_labels.h5", {embeddings, {"labels", H5T_IEEE_F64LE, torch::arange(6)}});
  EXPECT_CONTAINS(reader_error(path), path +
                                          ": dataset 'labels' (the labels) is float64 [6]: "
                                          "labels are integers (in numpy: "
                                          "labels.astype(np.int64))");
  path = file("vector.h5", {{"embeddings", H5T_IEEE_F32LE, torch::arange(6)}, labels});
  EXPECT_CONTAINS(reader_error(path),
                  "dataset 'embeddings' (the embeddings) is float32 [6]: "
                  "embeddings are a matrix [N, d], one row per item (one "
                  "number per item: reshape to [N, 1])");
  path = file("cube.h5", {{"embeddings", H5T_IEEE_F32LE, torch::zeros({6, 2, 2})}, labels});
  EXPECT_CONTAINS(reader_error(path), "is float32 [6, 2, 2]: embeddings are a matrix [N, d]");
  path = file("wide_labels.h5", {embeddings, {"labels", H5T_STD_I64LE, torch::zeros({6, 2})}});
  EXPECT_CONTAINS(reader_error(path), "is int64 [6, 2]: labels are a vector [N], one per item");
  path = file("empty.h5", {{"embeddings", H5T_IEEE_F32LE, torch::zeros({0, 2})},
                           {"labels", H5T_STD_I64LE, torch::zeros({0})}});
  EXPECT_CONTAINS(reader_error(path), "is float32 [0, 2]: no rows");

  path = file("strings.h5", {labels});
  add_string_dataset(path, "embeddings", 6);
  EXPECT_CONTAINS(reader_error(path), path +
                                          ": dataset 'embeddings' (the embeddings) is string "
                                          "[6]: embeddings are numbers");

  path = file("group.h5", {{"embeddings/x", H5T_IEEE_F32LE, torch::zeros({6, 2})}, labels});
  EXPECT_CONTAINS(reader_error(path), "'embeddings' (the embeddings) is a group, not a dataset");

  write_h5(dir.file("store.h5"), {embeddings, labels, {"ids", H5T_STD_I64LE, torch::arange(6)}},
           {{"fct_store_version", "1"}});
  EXPECT_CONTAINS(reader_error(dir.file("store.h5")), "is an fct store already");
  fct::testing::write_text_file(dir.file("text.h5"), "not HDF5\n");
  EXPECT_CONTAINS(reader_error(dir.file("text.h5")), dir.file("text.h5") + ": not an HDF5 file");
  EXPECT_CONTAINS(reader_error(dir.file("none.h5")), dir.file("none.h5") + ": no such file");
}

TEST(ForeignEmbeddings, NonFiniteEmbeddingsNameTheRow) {
  fct::testing::ScratchDir dir("fct-foreign");
  auto values = embeddings_values(6, 3);
  values[4][1] = std::numeric_limits<double>::quiet_NaN();
  write_h5(dir.file("nan.h5"),
           {{"embeddings", H5T_IEEE_F64LE, values}, {"labels", H5T_STD_I64LE, torch::arange(6)}});
  const ForeignEmbeddingsReader reader(dir.file("nan.h5"));
  EXPECT_NO_THROW(reader.read(0, 4));  // only the rows read are checked
  EXPECT_CONTAINS(error_of([&] { reader.read(2, 6); }),
                  dir.file("nan.h5") +
                      ": dataset 'embeddings' (the embeddings), row 4, column 1: NaN; every "
                      "embedding must be finite");
  values = embeddings_values(6, 3);
  values[5][2] = 1e300;  // finite in float64, not in float32
  write_h5(dir.file("huge.h5"),
           {{"embeddings", H5T_IEEE_F64LE, values}, {"labels", H5T_STD_I64LE, torch::arange(6)}});
  EXPECT_CONTAINS(error_of([&] { ForeignEmbeddingsReader(dir.file("huge.h5")).read(0, 6); }),
                  "row 5, column 2: beyond float32's range");
  values[5][2] = -std::numeric_limits<double>::infinity();
  write_h5(dir.file("inf.h5"),
           {{"embeddings", H5T_IEEE_F32LE, values}, {"labels", H5T_STD_I64LE, torch::arange(6)}});
  EXPECT_CONTAINS(error_of([&] { ForeignEmbeddingsReader(dir.file("inf.h5")).read(0, 6); }),
                  "row 5, column 2: infinite");
}

TEST(ForeignEmbeddings, FileKindAndTheAdviceOfNotAStore) {
  fct::testing::ScratchDir dir("fct-foreign");
  const Dataset embeddings{"embeddings", H5T_IEEE_F64LE, embeddings_values(6, 2)};
  const Dataset labels{"labels", H5T_STD_I32LE, torch::arange(6)};
  write_h5(dir.file("foreign.h5"), {embeddings, labels});
  write_h5(dir.file("other.h5"), {{"feats", H5T_IEEE_F32LE, embeddings_values(6, 2)},
                                  {"meta/y", H5T_STD_I64LE, torch::arange(6)}});
  write_h5(dir.file("nothing.h5"), {});
  write_h5(dir.file("store.h5"), {embeddings, labels}, {{"fct_store_version", "1"}});
  fct::testing::write_text_file(dir.file("text.h5"), "not HDF5\n");
  EXPECT_EQ(file_kind(dir.file("foreign.h5")), FileKind::kForeign);
  EXPECT_EQ(file_kind(dir.file("other.h5")), FileKind::kOtherHdf5);
  EXPECT_EQ(file_kind(dir.file("nothing.h5")), FileKind::kOtherHdf5);
  EXPECT_EQ(file_kind(dir.file("store.h5")), FileKind::kStore);
  EXPECT_EQ(file_kind(dir.file("text.h5")), FileKind::kStore);  // StoreReader explains
  EXPECT_EQ(file_kind(dir.file("none.h5")), FileKind::kStore);

  const auto open_error = [](const std::string& path) {
    return error_of([&] { StoreReader reader(path); });
  };
  EXPECT_CONTAINS(open_error(dir.file("foreign.h5")),
                  "store " + dir.file("foreign.h5") +
                      ": not an fct store (no 'fct_store_version' attribute); it has datasets "
                      "'embeddings' float64 [6, 2] and 'labels' int32 [6]: run `fct store import " +
                      dir.file("foreign.h5") + " --out STORE.h5` to make it a store");
  EXPECT_CONTAINS(open_error(dir.file("other.h5")),
                  "not an fct store (no 'fct_store_version' attribute); it has datasets 'feats' "
                  "float32 [6, 2], 'meta/y' int64 [6]: name the embeddings [N, d] and the labels "
                  "[N] among them with `fct store import " +
                      dir.file("other.h5") + " --out STORE.h5 --embeddings NAME --labels NAME`");
  EXPECT_CONTAINS(open_error(dir.file("nothing.h5")), "it has no datasets");
  // A path with a blank is quoted as one shell word.
  write_h5(dir.file("my file.h5"), {embeddings, labels});
  EXPECT_CONTAINS(open_error(dir.file("my file.h5")),
                  "`fct store import '" + dir.file("my file.h5") + "' --out STORE.h5`");
}

TEST(ForeignEmbeddings, ReadEmbeddingFileTakesStoresAndForeignFilesAlike) {
  fct::testing::ScratchDir dir("fct-foreign");
  const auto values = embeddings_values(5, 4);
  write_h5(dir.file("foreign.h5"), {{"embeddings", H5T_IEEE_F64LE, values},
                                    {"labels", H5T_STD_I32LE, torch::tensor({1, 1, 2, 2, 3})}});
  write_h5(dir.file("store.h5"),
           {{"embeddings", H5T_IEEE_F32LE, values},
            {"labels", H5T_STD_I64LE, torch::tensor({1, 1, 2, 2, 3})},
            {"ids", H5T_STD_I64LE, torch::arange(5)}},
           {{"fct_store_version", "1"}, {"model", "m"}});
  const EmbeddingFile foreign = read_embedding_file(dir.file("foreign.h5"));
  const EmbeddingFile stored = read_embedding_file(dir.file("store.h5"));
  EXPECT_TRUE(foreign.foreign);
  EXPECT_FALSE(stored.foreign);
  EXPECT_TRUE(foreign.attributes.empty());
  EXPECT_EQ(stored.attributes.at("model"), "m");
  EXPECT_TRUE(foreign.embeddings.equal(stored.embeddings));
  EXPECT_TRUE(foreign.labels.equal(stored.labels));
  EXPECT_TRUE(foreign.ids.equal(stored.ids));
  // Another HDF5 file: the store reader's advice.
  write_h5(dir.file("other.h5"), {{"feats", H5T_IEEE_F32LE, values}});
  EXPECT_CONTAINS(error_of([&] { read_embedding_file(dir.file("other.h5")); }),
                  "not an fct store (no 'fct_store_version' attribute); it has datasets 'feats'");
}

}  // namespace
}  // namespace fct::store
