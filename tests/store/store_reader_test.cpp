// StoreReader on files written here with the raw (serial) HDF5 C API, no MPI: a valid store is
// read value by value; every malformed file gives an fct::Error naming the file and the problem.
// Also rank_rows, StoreRows::size and the timestamp of the `created` attribute (core/provenance.h).
#include "framework/store/store_reader.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <functional>
#include <regex>

#include "framework/core/error.h"
#include "framework/core/provenance.h"
#include "tests/test_support.h"

namespace fct::store {
namespace {

enum class Kind { kFloat32, kFloat64, kInt64, kInt32 };

struct DatasetSpec {
  std::string name;
  Kind kind;
  std::vector<hsize_t> dims;
  double offset = 0;  // element k holds offset + k
};

// A valid store of `rows` rows: embeddings [rows, 4], labels, ids, side_info [rows, 2] and the
// extra columns target [rows, 3] and alpha [rows, 1].
std::vector<DatasetSpec> valid_datasets(hsize_t rows = 6) {
  return {{"embeddings", Kind::kFloat32, {rows, 4}, 0.5},
          {"labels", Kind::kInt64, {rows}, 10},
          {"ids", Kind::kInt64, {rows}, 1000},
          {"side_info", Kind::kFloat32, {rows, 2}, -100},
          {"target", Kind::kFloat32, {rows, 3}, 5000},
          {"alpha", Kind::kFloat32, {rows, 1}, 7000}};
}

void write_dataset(hid_t file, const DatasetSpec& spec) {
  hsize_t count = 1;
  for (hsize_t d : spec.dims) count *= d;
  hid_t space = H5Screate_simple(static_cast<int>(spec.dims.size()), spec.dims.data(), nullptr);
  std::vector<double> values(count);
  for (hsize_t k = 0; k < count; ++k) values[k] = spec.offset + static_cast<double>(k);
  const hid_t file_type = spec.kind == Kind::kFloat32   ? H5T_IEEE_F32LE
                          : spec.kind == Kind::kFloat64 ? H5T_IEEE_F64LE
                          : spec.kind == Kind::kInt64   ? H5T_STD_I64LE
                                                        : H5T_STD_I32LE;
  hid_t dataset =
      H5Dcreate2(file, spec.name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(dataset, 0) << spec.name;
  // HDF5 converts the doubles to the stored type.
  ASSERT_GE(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  H5Dclose(dataset);
  H5Sclose(space);
}

void string_attribute(hid_t file, const std::string& name, const std::string& value,
                      bool variable_length = true) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_cset(type, H5T_CSET_UTF8);
  if (variable_length) {
    H5Tset_size(type, H5T_VARIABLE);
  } else {  // h5py's fixed-length strings: NUL-padded
    H5Tset_size(type, value.size() + 3);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
  }
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attribute = H5Acreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(attribute, 0) << name;
  if (variable_length) {
    const char* data = value.c_str();
    ASSERT_GE(H5Awrite(attribute, type, &data), 0);
  } else {
    std::string padded = value + std::string(3, '\0');
    ASSERT_GE(H5Awrite(attribute, type, padded.data()), 0);
  }
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
}

template <typename T>
void number_attribute(hid_t file, const std::string& name, hid_t type, T value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attribute = H5Acreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(attribute, 0) << name;
  ASSERT_GE(H5Awrite(attribute, type, &value), 0);
  H5Aclose(attribute);
  H5Sclose(space);
}

// Writes a file with `datasets`, the version attribute `version` (none when empty) and some
// attributes of every kind; `extra` may add more.
void write_file(const std::string& path, const std::vector<DatasetSpec>& datasets,
                const std::string& version = "1",
                const std::function<void(hid_t)>& extra = nullptr) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0) << path;
  for (const auto& spec : datasets) write_dataset(file, spec);
  if (!version.empty()) string_attribute(file, "fct_store_version", version);
  string_attribute(file, "model", "résumé → new");
  string_attribute(file, "fixed", "abc", false);
  number_attribute(file, "epochs", H5T_NATIVE_INT64, int64_t{12});
  number_attribute(file, "lr", H5T_NATIVE_DOUBLE, 0.1);
  if (extra) extra(file);
  H5Fclose(file);
}

std::vector<DatasetSpec> without(std::vector<DatasetSpec> datasets, const std::string& name) {
  datasets.erase(std::remove_if(datasets.begin(), datasets.end(),
                                [&](const DatasetSpec& d) { return d.name == name; }),
                 datasets.end());
  return datasets;
}

std::vector<DatasetSpec> replaced(std::vector<DatasetSpec> datasets, const DatasetSpec& spec) {
  for (auto& d : datasets) {
    if (d.name == spec.name) d = spec;
  }
  return datasets;
}

// The fct::Error message of opening `path`; fails the test when it opens.
std::string open_error(const std::string& path) {
  try {
    StoreReader reader(path);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "StoreReader(" << path << ") did not throw";
  return "";
}

#define EXPECT_CONTAINS(text, part)                          \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "'" << (part) << "' not in: " << (text)

torch::Tensor expected(torch::ScalarType type, std::vector<int64_t> shape, double offset,
                       int64_t first_row = 0) {
  int64_t width = shape.size() == 2 ? shape[1] : 1;
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return (torch::arange(count, torch::kFloat64) + offset + first_row * width)
      .reshape(shape)
      .to(type);
}

TEST(StoreReader, ReadsAValidStoreWrittenWithoutMpi) {
  fct::testing::ScratchDir dir;
  const std::string path = dir.file("valid.h5");
  write_file(path, valid_datasets(), "1", [](hid_t file) {
    hid_t group = H5Gcreate2(file, "notes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(group);  // groups are not part of a store: ignored
  });
  StoreReader reader(path);
  EXPECT_EQ(reader.path(), path);
  EXPECT_EQ(reader.rows(), 6);
  EXPECT_EQ(reader.embedding_dim(), 4);
  EXPECT_EQ(reader.side_info_dim(), 2);
  EXPECT_EQ(reader.column_names(), (std::vector<std::string>{"embeddings", "labels", "ids",
                                                             "side_info", "alpha", "target"}));
  EXPECT_EQ(reader.layout().extra_columns,
            (std::vector<std::pair<std::string, int64_t>>{{"alpha", 1}, {"target", 3}}));
  EXPECT_TRUE(reader.has_column("target"));
  EXPECT_FALSE(reader.has_column("notes"));
  EXPECT_EQ(reader.attributes(), (Attributes{{"fct_store_version", "1"},
                                             {"model", "résumé → new"},
                                             {"fixed", "abc"},
                                             {"epochs", "12"},
                                             {"lr", "0.1"}}));
  EXPECT_EQ(reader.attribute("model"), "résumé → new");

  const StoreRows all = reader.read_all();
  EXPECT_EQ(all.size(), 6);
  EXPECT_TRUE(torch::equal(all.embeddings, expected(torch::kFloat32, {6, 4}, 0.5)));
  EXPECT_TRUE(torch::equal(all.labels, expected(torch::kInt64, {6}, 10)));
  EXPECT_TRUE(torch::equal(all.ids, expected(torch::kInt64, {6}, 1000)));
  EXPECT_TRUE(torch::equal(all.side_info, expected(torch::kFloat32, {6, 2}, -100)));
  ASSERT_EQ(all.extra.size(), 2u);
  EXPECT_TRUE(torch::equal(all.extra.at("target"), expected(torch::kFloat32, {6, 3}, 5000)));
  EXPECT_TRUE(torch::equal(all.extra.at("alpha"), expected(torch::kFloat32, {6, 1}, 7000)));

  const StoreRows part = reader.read(2, 5);  // a hyperslab
  EXPECT_TRUE(torch::equal(part.embeddings, expected(torch::kFloat32, {3, 4}, 0.5, 2)));
  EXPECT_TRUE(torch::equal(part.ids, expected(torch::kInt64, {3}, 1000, 2)));
  EXPECT_TRUE(torch::equal(part.extra.at("target"), expected(torch::kFloat32, {3, 3}, 5000, 2)));
  EXPECT_TRUE(torch::equal(reader.read_column("side_info", 5, 6),
                           expected(torch::kFloat32, {1, 2}, -100, 5)));
  EXPECT_EQ(reader.read(6, 6).embeddings.sizes().vec(), (std::vector<int64_t>{0, 4}));

  StoreReader moved = std::move(reader);  // still open after a move
  EXPECT_TRUE(torch::equal(moved.read(0, 1).labels, expected(torch::kInt64, {1}, 10)));
}

TEST(StoreReader, StoreWithoutSideInfoAndWithoutRows) {
  fct::testing::ScratchDir dir;
  const std::string path = dir.file("empty.h5");
  write_file(path, without(without(without(valid_datasets(0), "side_info"), "target"), "alpha"));
  StoreReader reader(path);
  EXPECT_EQ(reader.rows(), 0);
  EXPECT_EQ(reader.side_info_dim(), 0);
  EXPECT_FALSE(reader.has_column("side_info"));
  const StoreRows all = reader.read_all();
  EXPECT_EQ(all.size(), 0);
  EXPECT_EQ(all.embeddings.sizes().vec(), (std::vector<int64_t>{0, 4}));
  EXPECT_FALSE(all.side_info.defined());
  EXPECT_TRUE(all.extra.empty());
}

TEST(StoreReader, MissingFileNamesTheFile) {
  fct::testing::ScratchDir dir;
  const std::string path = dir.file("absent.h5");
  const std::string message = open_error(path);
  EXPECT_CONTAINS(message, path);
  EXPECT_CONTAINS(message, "no such file");
  EXPECT_CONTAINS(open_error(dir.path()), "is a directory");
}

TEST(StoreReader, NotAnHdf5File) {
  fct::testing::ScratchDir dir;
  const std::string path = dir.file("text.h5");
  fct::testing::write_text_file(path, "embeddings,labels\n1,2\n");
  const std::string message = open_error(path);
  EXPECT_CONTAINS(message, path);
  EXPECT_CONTAINS(message, "not an HDF5 file");
  const std::string empty = dir.file("empty.h5");
  fct::testing::write_text_file(empty, "");
  EXPECT_CONTAINS(open_error(empty), "not an HDF5 file");
}

TEST(StoreReader, MissingDatasetIsNamed) {
  fct::testing::ScratchDir dir;
  for (const std::string name : {"embeddings", "labels", "ids"}) {
    const std::string path = dir.file("no_" + name + ".h5");
    write_file(path, without(valid_datasets(), name));
    const std::string message = open_error(path);
    EXPECT_CONTAINS(message, path);
    EXPECT_CONTAINS(message, "missing dataset '" + name + "'");
  }
}

TEST(StoreReader, WrongDtypeOrRankIsNamed) {
  fct::testing::ScratchDir dir;
  const struct {
    DatasetSpec spec;
    std::string found, wanted;
  } cases[] = {
      {{"labels", Kind::kInt32, {6}}, "int32 [6]", "expected int64 [N]"},
      {{"ids", Kind::kFloat64, {6}}, "float64 [6]", "expected int64 [N]"},
      {{"embeddings", Kind::kFloat64, {6, 4}}, "float64 [6, 4]", "expected float32 [N, width]"},
      {{"embeddings", Kind::kFloat32, {24}}, "float32 [24]", "expected float32 [N, width]"},
      {{"side_info", Kind::kInt64, {6, 2}}, "int64 [6, 2]", "expected float32 [N, width]"},
      {{"target", Kind::kFloat32, {6}}, "float32 [6]", "expected float32 [N, width]"},
      {{"paths", Kind::kInt32, {6, 1}}, "int32 [6, 1]", "expected float32 [N, width]"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string path = dir.file("case" + std::to_string(i++) + ".h5");
    auto datasets = valid_datasets();
    if (c.spec.name == "paths") {
      datasets.push_back(c.spec);
    } else {
      datasets = replaced(datasets, c.spec);
    }
    write_file(path, datasets);
    const std::string message = open_error(path);
    EXPECT_CONTAINS(message, path);
    EXPECT_CONTAINS(message, "dataset '" + c.spec.name + "' is " + c.found);
    EXPECT_CONTAINS(message, c.wanted);
  }
}

TEST(StoreReader, MismatchedRowCountsNameTheShapes) {
  fct::testing::ScratchDir dir;
  const struct {
    DatasetSpec spec;
    std::string shape;
  } cases[] = {{{"ids", Kind::kInt64, {5}}, "[5]"},
               {{"labels", Kind::kInt64, {7}}, "[7]"},
               {{"side_info", Kind::kFloat32, {5, 2}}, "[5, 2]"},
               {{"target", Kind::kFloat32, {9, 3}}, "[9, 3]"}};
  int i = 0;
  for (const auto& c : cases) {
    const std::string path = dir.file("rows" + std::to_string(i++) + ".h5");
    write_file(path, replaced(valid_datasets(), c.spec));
    const std::string message = open_error(path);
    EXPECT_CONTAINS(message, path);
    EXPECT_CONTAINS(message, "dataset '" + c.spec.name + "' has shape " + c.shape +
                                 " but dataset 'embeddings' has shape [6, 4]");
  }
}

TEST(StoreReader, VersionAttributeIsRequired) {
  fct::testing::ScratchDir dir;
  const std::string none = dir.file("none.h5");
  write_file(none, valid_datasets(), "");
  EXPECT_CONTAINS(open_error(none), none);
  EXPECT_CONTAINS(open_error(none), "no 'fct_store_version' attribute");
  const std::string future = dir.file("future.h5");
  write_file(future, valid_datasets(), "2");
  EXPECT_CONTAINS(open_error(future), future);
  EXPECT_CONTAINS(open_error(future), "store version '2', this build reads version 1");
}

TEST(StoreReader, BadRequestsNameTheFile) {
  fct::testing::ScratchDir dir;
  const std::string path = dir.file("valid.h5");
  write_file(path, valid_datasets());
  StoreReader reader(path);
  const auto error_of = [](const std::function<void()>& action) -> std::string {
    try {
      action();
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  std::string message = error_of([&] { reader.attribute("model_hash"); });
  EXPECT_CONTAINS(message, path);
  EXPECT_CONTAINS(message, "no attribute 'model_hash'");
  message = error_of([&] { reader.read(4, 7); });
  EXPECT_CONTAINS(message, path);
  EXPECT_CONTAINS(message, "cannot read rows [4, 7): the store has rows [0, 6)");
  EXPECT_CONTAINS(error_of([&] { reader.read(3, 2); }), "cannot read rows [3, 2)");
  EXPECT_CONTAINS(error_of([&] { reader.read(-1, 2); }), "cannot read rows [-1, 2)");
  EXPECT_CONTAINS(error_of([&] { reader.read_column("paths", 0, 1); }), "no column 'paths'");
}

TEST(StoreFormat, RankRowsSplitsEvenly) {
  for (int64_t rows : {0, 1, 2, 7, 47, 1000}) {
    for (int world : {1, 2, 3, 8}) {
      int64_t next = 0;
      int64_t smallest = rows, largest = 0;
      for (int rank = 0; rank < world; ++rank) {
        const auto [begin, end] = rank_rows(rows, rank, world);
        EXPECT_EQ(begin, next) << rows << " rows, rank " << rank << " of " << world;
        EXPECT_LE(begin, end);
        smallest = std::min(smallest, end - begin);
        largest = std::max(largest, end - begin);
        next = end;
      }
      EXPECT_EQ(next, rows);
      EXPECT_LE(largest - smallest, 1);
    }
  }
  EXPECT_EQ(rank_rows(10, 0, 3), (std::pair<int64_t, int64_t>{0, 4}));
  EXPECT_EQ(rank_rows(10, 2, 3), (std::pair<int64_t, int64_t>{7, 10}));
  EXPECT_THROW(rank_rows(10, 3, 3), Error);
  EXPECT_THROW(rank_rows(10, -1, 3), Error);
  EXPECT_THROW(rank_rows(-1, 0, 3), Error);
  EXPECT_THROW(rank_rows(10, 0, 0), Error);
}

TEST(StoreFormat, RowsSizeAndTimestamp) {
  StoreRows rows;
  EXPECT_EQ(rows.size(), 0);
  rows.ids = torch::zeros({5}, torch::kInt64);
  EXPECT_EQ(rows.size(), 5);
  rows.embeddings = torch::zeros({3, 2});
  EXPECT_EQ(rows.size(), 3);  // embeddings first
  EXPECT_TRUE(
      std::regex_match(fct::utc_timestamp(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << fct::utc_timestamp();
}

// An int64 [N] root dataset is an extra column of width 0 (the partial-backfilling columns);
// int64 of another rank is not.
TEST(StoreReader, Int64OneDimensionalExtraColumns) {
  fct::testing::ScratchDir dir;
  const std::string path = dir.file("int64.h5");
  auto datasets = valid_datasets();
  datasets.push_back({"embedded_by", Kind::kInt64, {6}, 40});
  write_file(path, datasets);
  StoreReader reader(path);
  EXPECT_EQ(reader.layout().extra_columns, (std::vector<std::pair<std::string, int64_t>>{
                                               {"alpha", 1}, {"embedded_by", 0}, {"target", 3}}));
  EXPECT_TRUE(
      torch::equal(reader.read_column("embedded_by", 1, 4), expected(torch::kInt64, {3}, 40, 1)));
  EXPECT_TRUE(
      torch::equal(reader.read_all().extra.at("embedded_by"), expected(torch::kInt64, {6}, 40)));

  const std::string bad = dir.file("int64-2d.h5");
  datasets.back() = {"embedded_by", Kind::kInt64, {6, 2}, 40};
  write_file(bad, datasets);
  const std::string message = open_error(bad);
  EXPECT_CONTAINS(message, "dataset 'embedded_by' is int64 [6, 2]");
  EXPECT_CONTAINS(message, "expected float32 [N, width] or int64 [N]");
  const std::string rows = dir.file("int64-rows.h5");
  datasets.back() = {"embedded_by", Kind::kInt64, {5}, 40};
  write_file(rows, datasets);
  EXPECT_CONTAINS(open_error(rows), "dataset 'embedded_by' has shape [5] but dataset 'embeddings'");
}

}  // namespace
}  // namespace fct::store
