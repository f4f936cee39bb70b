// Runs under mpirun: the transformation's feature cache, written by every rank, holds for view v
// exactly what the frozen models give for the training transform's draw of epoch v (what the
// on-the-fly feed computes), also when each round goes through the models in smaller slices, and
// CachedFeatures serves one of those views per row and epoch.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <numeric>

#include "framework/core/error.h"
#include "framework/data/batch_loader.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/distributed/communicator.h"
#include "framework/store/store_reader.h"
#include "framework/train/feature_extraction.h"
#include "framework/train/transformation_features.h"
#include "tests/test_support.h"

namespace fct::train {
namespace {

std::string shared_directory(const std::string& local_choice) {
  char buffer[512] = {};
  std::snprintf(buffer, sizeof buffer, "%s", local_choice.c_str());
  MPI_Bcast(buffer, sizeof buffer, MPI_CHAR, 0, MPI_COMM_WORLD);
  return buffer;
}

TEST(FeatureCache, ViewsMatchTheOnTheFlyFeaturesOfEachEpoch) {
  auto comm = distributed::make_communicator("mpi", {});
  testing::ScratchDir scratch("fct-feature-cache");
  const std::string dir = shared_directory(scratch.path());
  const std::string path = dir + "/cache.h5";

  config::DataConfig data;
  data.limit = 37;  // not divisible by the rank counts
  const auto dataset = data::make_dataset(data, "train");
  config::ModelConfig model;
  model.width = 4;
  model.embedding_dim = 8;
  torch::manual_seed(5);
  auto old_model = models::make_embedding_model(model, 1, 10);
  model.embedding_dim = 6;
  models::SimclrModel side(model, 1, 4);
  model.embedding_dim = 10;
  auto new_model = models::make_embedding_model(model, 1, 10);

  const auto transform = data::train_transform(fct::config::DataConfig{});
  Encoders encoders{old_model, side, new_model};
  ExtractionOptions options;
  options.views = 2;
  options.batch_size = 5;     // several collective rounds, uneven per rank
  options.forward_batch = 2;  // slices of 2, 2, 1 per round
  options.seed = 9;
  options.show_progress = false;
  const ExtractionReport report = write_embeddings(*comm, *dataset, transform, encoders, path,
                                                   {{"model", "cache"},
                                                    {"model_hash", "old-hash"},
                                                    {"side_info_model_hash", "side-hash"},
                                                    {"target_model_hash", "new-hash"}},
                                                   options);

  EXPECT_EQ(report.rows, 2 * 37);
  EXPECT_EQ(report.passes, 3 * 2 * 37);  // three models
  EXPECT_EQ(report.forward_batch, 2);
  for (const char* phase : {"set-up", "load", "forward", "wait", "write"})
    EXPECT_GE(report.phases.seconds(phase), 0.0) << phase;
  EXPECT_EQ(report.phases.phases().size(), 5u);

  const store::StoreReader reader(path);
  ASSERT_EQ(reader.rows(), 2 * 37);
  EXPECT_EQ(reader.attribute("views"), "2");
  const auto rows = reader.read_all();
  ModelFeatures on_the_fly(old_model, side, new_model, torch::kCPU);
  std::vector<int64_t> all(37);
  std::iota(all.begin(), all.end(), 0);
  for (int64_t view = 0; view < 2; ++view) {
    data::LoaderOptions loader_options;
    loader_options.batch_size = 37;
    loader_options.seed = 9;
    loader_options.epoch = view;
    data::BatchLoader loader(*dataset, all, transform, loader_options);
    const auto batch = loader.next();
    ASSERT_TRUE(batch);
    const auto expected = on_the_fly.get(*batch);
    const auto slice = [&](const torch::Tensor& t) {
      return t.slice(0, view * 37, view * 37 + 37);
    };
    EXPECT_TRUE(torch::allclose(slice(rows.embeddings), expected.old_embedding, 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(slice(rows.side_info), expected.side_info, 1e-4, 1e-5));
    EXPECT_TRUE(torch::allclose(slice(rows.extra.at("target")), expected.target, 1e-4, 1e-5));
    EXPECT_TRUE(slice(rows.ids).equal(batch->ids));
    EXPECT_TRUE(slice(rows.labels).equal(batch->labels));
  }

  // CachedFeatures: each row and epoch gets one of its two views; across epochs both appear.
  // A cache of other models is refused, naming the file and the model that differs.
  try {
    CachedFeatures::from_cache(path, {"old-hash", "side-hash", "retrained"}, 3, torch::kCPU);
    ADD_FAILURE() << "a cache of another new model was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("new model"), std::string::npos) << e.what();
  }
  const auto cached =
      CachedFeatures::from_cache(path, {"old-hash", "side-hash", "new-hash"}, 3, torch::kCPU);
  EXPECT_EQ(cached->views(), 2);
  EXPECT_EQ(cached->rows(), 37);
  int seen_view[2] = {0, 0};
  for (int64_t epoch = 0; epoch < 6; ++epoch) {
    data::Batch batch;
    batch.ids = torch::arange(37, torch::kInt64);
    batch.epoch = epoch;
    const auto inputs = cached->get(batch);
    for (int64_t r = 0; r < 37; ++r) {
      const bool is0 = inputs.target[r].equal(rows.extra.at("target")[r]);
      const bool is1 = inputs.target[r].equal(rows.extra.at("target")[37 + r]);
      ASSERT_TRUE(is0 || is1) << "row " << r;
      EXPECT_TRUE(inputs.old_embedding[r].equal(rows.embeddings[is0 ? r : 37 + r]));
      ++seen_view[is0 ? 0 : 1];
    }
  }
  EXPECT_GT(seen_view[0], 37);
  EXPECT_GT(seen_view[1], 37);
  comm->barrier();
}

}  // namespace
}  // namespace fct::train
