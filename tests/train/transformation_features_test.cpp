// Where h's inputs come from: ModelFeatures runs the frozen models in eval mode without gradients;
// CachedFeatures serves rows of [views, rows, dim] tensors (one view per row and epoch, drawn from
// the (seed, epoch, row) stream, whatever batch the row is in) and refuses tensors that do not
// fit; from_cache and from_stores read stores (written here with the serial HDF5 C API, no MPI)
// and refuse those of other models, with other samples or malformed, naming the file.
#include "framework/train/transformation_features.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/data/transforms.h"
#include "framework/store/store_format.h"
#include "tests/test_support.h"

namespace fct::train {
namespace {

using fct::testing::ScratchDir;

#define EXPECT_ERROR_NAMING(statement, text)                       \
  try {                                                            \
    statement;                                                     \
    ADD_FAILURE() << #statement " did not throw";                  \
  } catch (const Error& e) {                                       \
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) \
        << "'" << (text) << "' not in: " << e.what();              \
  }

// [views, rows, dim] with a distinct value everywhere: view v, row r, column c holds
// base + 100 v + 10 r + c, so a served row says which view and row it came from.
torch::Tensor numbered(int64_t views, int64_t rows, int64_t dim, float base) {
  return torch::arange(dim, torch::kFloat32).view({1, 1, dim}) +
         10 * torch::arange(rows, torch::kFloat32).view({1, rows, 1}) +
         100 * torch::arange(views, torch::kFloat32).view({views, 1, 1}) + base;
}

data::Batch batch_of(std::vector<int64_t> rows, int64_t epoch) {
  data::Batch batch;
  batch.ids = torch::tensor(rows, torch::kInt64);
  batch.epoch = epoch;
  return batch;
}

TEST(CachedFeatures, OneViewServesTheBatchRowsOfEveryTensor) {
  CachedFeatures cached(numbered(1, 5, 3, 0), numbered(1, 5, 2, 1000), numbered(1, 5, 4, 5000), 7,
                        torch::kCPU);
  EXPECT_EQ(cached.views(), 1);
  EXPECT_EQ(cached.rows(), 5);
  const auto inputs = cached.get(batch_of({4, 0, 2}, 3));
  const auto rows = torch::tensor({4, 0, 2}, torch::kInt64);
  EXPECT_TRUE(inputs.old_embedding.equal(numbered(1, 5, 3, 0)[0].index_select(0, rows)));
  EXPECT_TRUE(inputs.side_info.equal(numbered(1, 5, 2, 1000)[0].index_select(0, rows)));
  EXPECT_TRUE(inputs.target.equal(numbered(1, 5, 4, 5000)[0].index_select(0, rows)));
}

TEST(CachedFeatures, WithoutSideInfoTheSideInfoIsUndefinedAndInputsBecomeFloat32) {
  CachedFeatures cached(numbered(1, 3, 2, 0).to(torch::kFloat64), torch::Tensor(),
                        numbered(1, 3, 2, 50).to(torch::kFloat64), 0, torch::kCPU);
  const auto inputs = cached.get(batch_of({1}, 0));
  EXPECT_FALSE(inputs.side_info.defined());
  EXPECT_EQ(inputs.old_embedding.scalar_type(), torch::kFloat32);
  EXPECT_EQ(inputs.target.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(inputs.target.equal(torch::tensor({{60.0f, 61.0f}})));
}

TEST(CachedFeatures, EachRowAndEpochGetsTheViewOfItsOwnRandomStream) {
  const int64_t views = 3, rows = 20;
  const uint64_t seed = 11;
  CachedFeatures cached(numbered(views, rows, 2, 0), numbered(views, rows, 1, 1000),
                        numbered(views, rows, 2, 5000), seed, torch::kCPU);
  std::set<int64_t> seen;
  for (int64_t epoch = 0; epoch < 4; ++epoch) {
    std::vector<int64_t> all(rows);
    for (int64_t r = 0; r < rows; ++r) all[r] = r;
    const auto inputs = cached.get(batch_of(all, epoch));
    for (int64_t r = 0; r < rows; ++r) {
      data::SampleRng rng(seed, epoch, r);
      const int64_t view = rng.integer(0, views - 1);
      seen.insert(view);
      // One view for all three tensors of the row: h's input and target stay one image's.
      const auto at = static_cast<float>(100 * view + 10 * r);
      EXPECT_FLOAT_EQ(inputs.old_embedding[r][0].item<float>(), at);
      EXPECT_FLOAT_EQ(inputs.side_info[r][0].item<float>(), 1000 + at);
      EXPECT_FLOAT_EQ(inputs.target[r][1].item<float>(), 5000 + at + 1);
    }
  }
  EXPECT_EQ(seen.size(), 3u);  // 80 draws reach every view

  // The view does not depend on the batch the row is in, nor on its place there.
  const auto alone = cached.get(batch_of({7}, 2));
  const auto among = cached.get(batch_of({3, 9, 7}, 2));
  EXPECT_TRUE(alone.target[0].equal(among.target[2]));
  const auto repeated = cached.get(batch_of({3, 9, 7}, 2));
  EXPECT_TRUE(among.old_embedding.equal(repeated.old_embedding));
}

TEST(CachedFeatures, RefusesTensorsThatDoNotFitAndRowsOutOfRange) {
  const auto good = numbered(2, 4, 3, 0);
  EXPECT_ERROR_NAMING(CachedFeatures(good[0], torch::Tensor(), good[0], 0, torch::kCPU),
                      "expected [views, rows, dim] tensors");
  EXPECT_ERROR_NAMING(CachedFeatures(good, torch::Tensor(), numbered(1, 4, 3, 0), 0, torch::kCPU),
                      "equal views and rows");
  EXPECT_ERROR_NAMING(CachedFeatures(good, torch::Tensor(), numbered(2, 5, 3, 0), 0, torch::kCPU),
                      "equal views and rows");
  EXPECT_ERROR_NAMING(CachedFeatures(good, numbered(2, 3, 1, 0), good, 0, torch::kCPU),
                      "equal views and rows");
  EXPECT_ERROR_NAMING(CachedFeatures(good, numbered(2, 4, 1, 0)[0], good, 0, torch::kCPU),
                      "equal views and rows");
  // Another width of target than of the old embedding is fine: d_new need not be d_old.
  CachedFeatures cached(good, torch::Tensor(), numbered(2, 4, 7, 0), 0, torch::kCPU);
  EXPECT_EQ(cached.get(batch_of({0}, 0)).target.size(1), 7);
  EXPECT_ERROR_NAMING(cached.get(batch_of({4}, 0)), "row out of range");
  EXPECT_ERROR_NAMING(cached.get(batch_of({-1}, 0)), "row out of range");
}

TEST(ModelFeatures, RunsTheFrozenModelsInEvalModeWithoutGradients) {
  config::ModelConfig model;
  model.width = 4;
  model.embedding_dim = 8;
  torch::manual_seed(2);
  auto old_model = models::make_embedding_model(model, 1, 10);
  model.embedding_dim = 6;
  models::SimclrModel side(model, 1, 4);
  model.embedding_dim = 5;
  auto new_model = models::make_embedding_model(model, 1, 10);
  old_model->train();
  side->train();
  new_model->train();

  ModelFeatures features(old_model, side, new_model, torch::kCPU);
  // Frozen: BatchNorm uses its running statistics, so an embedding does not depend on its batch.
  EXPECT_FALSE(old_model->is_training());
  EXPECT_FALSE(side->is_training());
  EXPECT_FALSE(new_model->is_training());

  data::Batch batch;
  batch.images = torch::randn({3, 1, 28, 28});
  batch.ids = torch::arange(3, torch::kInt64);
  const auto inputs = features.get(batch);
  EXPECT_FALSE(inputs.old_embedding.requires_grad());
  EXPECT_FALSE(inputs.target.requires_grad());
  EXPECT_EQ(inputs.old_embedding.sizes().vec(), (std::vector<int64_t>{3, 8}));
  EXPECT_EQ(inputs.side_info.sizes().vec(), (std::vector<int64_t>{3, 6}));
  EXPECT_EQ(inputs.target.sizes().vec(), (std::vector<int64_t>{3, 5}));
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(inputs.old_embedding, old_model->embed(batch.images)));
  EXPECT_TRUE(torch::allclose(inputs.side_info, side->embed(batch.images)));
  EXPECT_TRUE(torch::allclose(inputs.target, new_model->embed(batch.images)));
  // One image alone gives what it gave in the batch (eval mode).
  const auto first = features.get([&] {
    data::Batch one;
    one.images = batch.images.slice(0, 0, 1);
    return one;
  }());
  EXPECT_TRUE(torch::allclose(first.target[0], inputs.target[0], 1e-4, 1e-5));

  ModelFeatures without_side(old_model, models::SimclrModel(nullptr), new_model, torch::kCPU);
  EXPECT_FALSE(without_side.get(batch).side_info.defined());
}

// --- stores, written with the serial HDF5 C API (Note [Store file format]) ---

void write_column(hid_t file, const std::string& name, const torch::Tensor& values) {
  const auto data = values.contiguous();
  std::vector<hsize_t> dims(data.sizes().begin(), data.sizes().end());
  const bool integer = data.scalar_type() == torch::kInt64;
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dataset = H5Dcreate2(file, name.c_str(), integer ? H5T_STD_I64LE : H5T_IEEE_F32LE, space,
                             H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(dataset, 0) << name;
  ASSERT_GE(H5Dwrite(dataset, integer ? H5T_NATIVE_INT64 : H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                     H5P_DEFAULT, data.data_ptr()),
            0);
  H5Dclose(dataset);
  H5Sclose(space);
}

void write_attribute(hid_t file, const std::string& name, const std::string& value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_cset(type, H5T_CSET_UTF8);
  H5Tset_size(type, H5T_VARIABLE);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attribute = H5Acreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(attribute, 0) << name;
  const char* text = value.c_str();
  ASSERT_GE(H5Awrite(attribute, type, &text), 0);
  H5Aclose(attribute);
  H5Sclose(space);
  H5Tclose(type);
}

// A store: float32 2-D and int64 1-D columns by name, the version attribute and `attributes`.
void write_store(const std::string& path, const std::map<std::string, torch::Tensor>& columns,
                 const std::map<std::string, std::string>& attributes) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0) << path;
  for (const auto& [name, values] : columns) write_column(file, name, values);
  write_attribute(file, store::kVersionAttribute, store::kStoreVersion);
  for (const auto& [name, value] : attributes) write_attribute(file, name, value);
  H5Fclose(file);
}

// The columns of a store of `rows` rows whose ids are `ids`.
std::map<std::string, torch::Tensor> store_columns(const torch::Tensor& ids, int64_t dim,
                                                   float base) {
  const int64_t rows = ids.size(0);
  return {{"embeddings", numbered(1, rows, dim, base)[0]}, {"labels", ids % 3}, {"ids", ids}};
}

const FeatureSources kSources{"old-hash", "side-hash", "new-hash"};

TEST(CachedFeaturesFromStores, OldStoreAndSideInfoAreTheInputsTheNewStoreTheTarget) {
  ScratchDir dir("fct-features");
  const auto ids = torch::tensor({10, 11, 12, 13}, torch::kInt64);
  auto old_columns = store_columns(ids, 3, 0);
  old_columns["side_info"] = numbered(1, 4, 2, 1000)[0];
  write_store(dir.file("old.h5"), old_columns,
              {{"model_hash", "old-hash"}, {"side_info_model_hash", "side-hash"}});
  write_store(dir.file("new.h5"), store_columns(ids, 5, 5000), {{"model_hash", "new-hash"}});

  const auto cached =
      CachedFeatures::from_stores(dir.file("old.h5"), dir.file("new.h5"), kSources, torch::kCPU);
  EXPECT_EQ(cached->views(), 1);
  EXPECT_EQ(cached->rows(), 4);
  EXPECT_TRUE(cached->labels().equal(ids % 3));
  // Batches name rows of the stores (0..3), not sample ids.
  const auto inputs = cached->get(batch_of({3, 1}, 5));
  const auto rows = torch::tensor({3, 1}, torch::kInt64);
  EXPECT_TRUE(inputs.old_embedding.equal(old_columns.at("embeddings").index_select(0, rows)));
  EXPECT_TRUE(inputs.side_info.equal(old_columns.at("side_info").index_select(0, rows)));
  EXPECT_TRUE(inputs.target.equal(numbered(1, 4, 5, 5000)[0].index_select(0, rows)));
}

TEST(CachedFeaturesFromStores, RefusesOtherModelsAndOtherSamplesNamingTheFile) {
  ScratchDir dir("fct-features");
  const auto ids = torch::tensor({10, 11, 12}, torch::kInt64);
  auto with_side = store_columns(ids, 3, 0);
  with_side["side_info"] = numbered(1, 3, 2, 1000)[0];
  write_store(dir.file("old.h5"), with_side,
              {{"model_hash", "old-hash"}, {"side_info_model_hash", "side-hash"}});
  write_store(dir.file("new.h5"), store_columns(ids, 5, 0), {{"model_hash", "new-hash"}});
  write_store(dir.file("shuffled.h5"),
              store_columns(torch::tensor({12, 11, 10}, torch::kInt64), 5, 0),
              {{"model_hash", "new-hash"}});

  EXPECT_ERROR_NAMING(
      CachedFeatures::from_stores(dir.file("old.h5"), dir.file("new.h5"),
                                  {"retrained", "side-hash", "new-hash"}, torch::kCPU),
      dir.file("old.h5") + " holds features of a different old model");
  EXPECT_ERROR_NAMING(
      CachedFeatures::from_stores(dir.file("old.h5"), dir.file("new.h5"),
                                  {"old-hash", "other-side", "new-hash"}, torch::kCPU),
      "different side-information model");
  EXPECT_ERROR_NAMING(CachedFeatures::from_stores(dir.file("old.h5"), dir.file("new.h5"),
                                                  {"old-hash", "side-hash", "newer"}, torch::kCPU),
                      dir.file("new.h5") +
                          " holds features of a different new model (its model_hash is "
                          "new-hash, the model file's hash is newer)");
  EXPECT_ERROR_NAMING(CachedFeatures::from_stores(dir.file("old.h5"), dir.file("shuffled.h5"),
                                                  kSources, torch::kCPU),
                      "do not hold the same samples in the same order");
}

// A feature cache of `views` views of `rows` rows: view v of row r at row v * rows + r.
std::map<std::string, torch::Tensor> cache_columns(int64_t views, int64_t rows) {
  const auto ids = torch::arange(rows, torch::kInt64).repeat({views});
  return {{"embeddings", numbered(views, rows, 3, 0).flatten(0, 1)},
          {"side_info", numbered(views, rows, 2, 1000).flatten(0, 1)},
          {"target", numbered(views, rows, 4, 5000).flatten(0, 1)},
          {"labels", (ids + 1) % 4},
          {"ids", ids}};
}

const std::map<std::string, std::string> kCacheAttributes = {{"views", "2"},
                                                             {"model_hash", "old-hash"},
                                                             {"side_info_model_hash", "side-hash"},
                                                             {"target_model_hash", "new-hash"}};

TEST(CachedFeaturesFromCache, ReadsTheViewsAndTheLabelsOfTheFirstView) {
  ScratchDir dir("fct-features");
  write_store(dir.file("train.h5"), cache_columns(2, 5), kCacheAttributes);
  const auto cached = CachedFeatures::from_cache(dir.file("train.h5"), kSources, 4, torch::kCPU);
  EXPECT_EQ(cached->views(), 2);
  EXPECT_EQ(cached->rows(), 5);
  EXPECT_TRUE(cached->labels().equal((torch::arange(5, torch::kInt64) + 1) % 4));
  const auto inputs = cached->get(batch_of({0, 1, 2, 3, 4}, 1));
  for (int64_t r = 0; r < 5; ++r) {
    data::SampleRng rng(4, 1, r);
    const int64_t view = rng.integer(0, 1);
    EXPECT_TRUE(inputs.old_embedding[r].equal(numbered(2, 5, 3, 0)[view][r])) << r;
    EXPECT_TRUE(inputs.side_info[r].equal(numbered(2, 5, 2, 1000)[view][r])) << r;
    EXPECT_TRUE(inputs.target[r].equal(numbered(2, 5, 4, 5000)[view][r])) << r;
  }
}

TEST(CachedFeaturesFromCache, RefusesMalformedCachesAndOtherModelsNamingTheFile) {
  ScratchDir dir("fct-features");
  const std::string path = dir.file("train.h5");
  const auto with = [](std::map<std::string, std::string> attributes, const std::string& key,
                       const std::string& value) {
    attributes[key] = value;
    return attributes;
  };

  write_store(path, cache_columns(2, 5), with(kCacheAttributes, "views", "0"));
  EXPECT_ERROR_NAMING(CachedFeatures::from_cache(path, kSources, 0, torch::kCPU),
                      "feature cache " + path + ": attribute 'views' is '0'");
  write_store(path, cache_columns(2, 5), with(kCacheAttributes, "views", "2x"));
  EXPECT_ERROR_NAMING(CachedFeatures::from_cache(path, kSources, 0, torch::kCPU),
                      "attribute 'views' is '2x', expected a positive integer");
  write_store(path, cache_columns(2, 5), with(kCacheAttributes, "views", "3"));
  EXPECT_ERROR_NAMING(CachedFeatures::from_cache(path, kSources, 0, torch::kCPU),
                      "10 rows are not a whole number of 3 views");

  write_store(path, cache_columns(2, 5), kCacheAttributes);
  EXPECT_ERROR_NAMING(
      CachedFeatures::from_cache(path, {"old-hash", "side-hash", "other"}, 0, torch::kCPU),
      path + " holds features of a different new model (its target_model_hash is new-hash");
  EXPECT_ERROR_NAMING(
      CachedFeatures::from_cache(path, {"other", "side-hash", "new-hash"}, 0, torch::kCPU),
      "different old model");
  EXPECT_ERROR_NAMING(
      CachedFeatures::from_cache(path, {"old-hash", "other", "new-hash"}, 0, torch::kCPU),
      "different side-information model");

  auto no_target = cache_columns(2, 5);
  no_target.erase("target");
  write_store(path, no_target, kCacheAttributes);
  EXPECT_ERROR_NAMING(CachedFeatures::from_cache(path, kSources, 0, torch::kCPU),
                      "feature cache " + path + " has no 'target' column");
}

}  // namespace
}  // namespace fct::train
