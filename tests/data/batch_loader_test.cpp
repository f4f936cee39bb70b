// BatchLoader: the same batches for any thread count, exact coverage of the indices, partial
// batches, worker errors reaching the consumer, and clean shutdown mid-epoch.
#include "framework/data/batch_loader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <numeric>

#include "framework/core/error.h"
#include "framework/data/fashion_mnist_dataset.h"
#include "tests/data/data_fixtures.h"

namespace fct::data {
namespace {

std::vector<int64_t> shuffled(int64_t n, uint64_t seed) {
  std::vector<int64_t> indices(static_cast<std::size_t>(n));
  std::iota(indices.begin(), indices.end(), 0);
  SampleRng rng(seed, 0, 0);
  for (int64_t i = n - 1; i > 0; --i) std::swap(indices[i], indices[rng.integer(0, i)]);
  return indices;
}

std::vector<Batch> drain(BatchLoader& loader) {
  std::vector<Batch> batches;
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

LoaderOptions options(int64_t batch_size, int64_t threads, bool drop_last = false) {
  LoaderOptions o;
  o.batch_size = batch_size;
  o.threads = threads;
  o.drop_last = drop_last;
  o.seed = 11;
  o.epoch = 2;
  return o;
}

TEST(BatchLoader, IdenticalForAnyThreadCountAndCoversIndices) {
  const FashionMnistDataset dataset("", "test");
  const std::vector<int64_t> indices = shuffled(1000, 3);
  std::vector<std::vector<Batch>> runs;
  for (int64_t threads : {0, 1, 3}) {
    BatchLoader loader(dataset, indices, train_transform(fct::config::DataConfig{}),
                       options(64, threads));
    EXPECT_EQ(loader.num_batches(), 16);
    runs.push_back(drain(loader));
  }
  for (const auto& run : runs) {
    ASSERT_EQ(run.size(), 16u);
    std::vector<int64_t> ids;
    for (const auto& batch : run) {
      EXPECT_EQ(batch.images.scalar_type(), torch::kFloat32);
      EXPECT_EQ(batch.labels.scalar_type(), torch::kInt64);
      EXPECT_EQ(batch.ids.scalar_type(), torch::kInt64);
      EXPECT_EQ(batch.images.size(0), batch.ids.size(0));
      EXPECT_EQ(batch.images.sizes().slice(1), (std::vector<int64_t>{1, 28, 28}));
      for (int64_t k = 0; k < batch.ids.size(0); ++k) ids.push_back(batch.ids[k].item<int64_t>());
    }
    EXPECT_EQ(ids, indices);  // in order, each exactly once (ids are indices for Fashion-MNIST)
    EXPECT_EQ(run.back().images.size(0), 1000 - 15 * 64);
  }
  for (std::size_t r = 1; r < runs.size(); ++r)
    for (std::size_t b = 0; b < runs[0].size(); ++b) {
      EXPECT_TRUE(torch::equal(runs[0][b].images, runs[r][b].images))
          << "run " << r << " batch " << b;
      EXPECT_TRUE(torch::equal(runs[0][b].labels, runs[r][b].labels));
      EXPECT_TRUE(torch::equal(runs[0][b].ids, runs[r][b].ids));
    }
  // Labels and eval images agree with the dataset.
  BatchLoader eval(dataset, {5, 0, 7}, eval_transform(fct::config::DataConfig{}), options(8, 2));
  const auto batch = eval.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->labels[1].item<int64_t>(), dataset.label(0));
  EXPECT_TRUE(torch::allclose(batch->images[2],
                              eval_transform(fct::config::DataConfig{})(dataset.read(7), 0, 0, 7)));
  EXPECT_FALSE(eval.next().has_value());
  EXPECT_FALSE(eval.next().has_value());
}

TEST(BatchLoader, SameSampleSameAugmentationWhateverItsPosition) {
  const testing::FakeDataset dataset(std::vector<int64_t>(10, 0), 1, 12, 12);
  BatchLoader a(dataset, {3, 4, 5}, train_transform(fct::config::DataConfig{}), options(2, 0));
  BatchLoader b(dataset, {5, 3}, train_transform(fct::config::DataConfig{}), options(4, 2));
  const Batch first = *a.next(), second = *a.next(), other = *b.next();
  EXPECT_TRUE(torch::equal(first.images[0], other.images[1]));   // sample 3
  EXPECT_TRUE(torch::equal(second.images[0], other.images[0]));  // sample 5
}

TEST(BatchLoader, DropOrKeepThePartialLastBatch) {
  const testing::FakeDataset dataset(std::vector<int64_t>(10, 0), 1);
  const std::vector<int64_t> indices = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (int64_t threads : {0, 2}) {
    BatchLoader keep(dataset, indices, eval_transform(fct::config::DataConfig{}),
                     options(4, threads, false));
    const auto kept = drain(keep);
    ASSERT_EQ(kept.size(), 3u);
    EXPECT_EQ(kept[2].ids.size(0), 2);
    EXPECT_EQ(kept[2].ids[1].item<int64_t>(), 1009);
    BatchLoader drop(dataset, indices, eval_transform(fct::config::DataConfig{}),
                     options(4, threads, true));
    EXPECT_EQ(drop.num_batches(), 2);
    EXPECT_EQ(drain(drop).size(), 2u);
    BatchLoader empty(dataset, {}, eval_transform(fct::config::DataConfig{}), options(4, threads));
    EXPECT_FALSE(empty.next().has_value());
  }
}

TEST(BatchLoader, WorkerErrorReachesConsumerWithSampleId) {
  // Sample index 13 (id 1013) fails; it is in batch 3 of batch size 4.
  const testing::FakeDataset dataset(std::vector<int64_t>(40, 0), 1, 8, 8, /*fail_index=*/13);
  std::vector<int64_t> indices(40);
  std::iota(indices.begin(), indices.end(), 0);
  for (int64_t threads : {0, 1, 3}) {
    BatchLoader loader(dataset, indices, train_transform(fct::config::DataConfig{}),
                       options(4, threads));
    for (int b = 0; b < 3; ++b) ASSERT_TRUE(loader.next().has_value()) << threads;
    try {
      loader.next();
      FAIL() << "expected a DataError with " << threads << " threads";
    } catch (const DataError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("sample id 1013"), std::string::npos) << message;
      EXPECT_NE(message.find("corrupt image on purpose"), std::string::npos) << message;
    }
    EXPECT_THROW(loader.next(), DataError);  // stays failed
  }
}

TEST(BatchLoader, SeveralViewsPerSampleViewZeroIsTheSingleView) {
  const FashionMnistDataset dataset("", "test");
  const std::vector<int64_t> indices = {4, 9, 2};
  auto two = options(3, 0);
  two.views = 2;
  BatchLoader single(dataset, indices, train_transform(fct::config::DataConfig{}), options(3, 0));
  BatchLoader multi(dataset, indices, train_transform(fct::config::DataConfig{}), two);
  const auto a = drain(single);
  const auto b = drain(multi);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].images.sizes(), (std::vector<int64_t>{6, 1, 28, 28}));
  EXPECT_EQ(b[0].labels.size(0), 3);
  EXPECT_EQ(b[0].epoch, 2);
  EXPECT_TRUE(b[0].images.slice(0, 0, 3).equal(a[0].images));   // view 0
  EXPECT_FALSE(b[0].images.slice(0, 3, 6).equal(a[0].images));  // view 1: other draws
  // The same with worker threads.
  two.threads = 2;
  BatchLoader threaded(dataset, indices, train_transform(fct::config::DataConfig{}), two);
  EXPECT_TRUE(drain(threaded)[0].images.equal(b[0].images));
}

TEST(RowBatchSource, RowsAsIdsLabelsAndNoImages) {
  const RowBatchSource source(torch::tensor({5, 6, 7, 8, 9}, torch::kInt64));
  EXPECT_EQ(source.size(), 5);
  auto o = options(2, 0, /*drop_last=*/true);
  auto stream = source.open({4, 0, 3, 1, 2}, o);
  auto first = stream->next();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->ids.equal(torch::tensor({4, 0}, torch::kInt64)));
  EXPECT_TRUE(first->labels.equal(torch::tensor({9, 5}, torch::kInt64)));
  EXPECT_FALSE(first->images.defined());
  EXPECT_EQ(first->epoch, 2);
  ASSERT_TRUE(stream->next());
  EXPECT_FALSE(stream->next());  // the fifth row is a partial batch, dropped
  EXPECT_THROW(source.open({5}, o), DataError);
}

TEST(BatchLoader, BadIndexIsRejectedUpFront) {
  const testing::FakeDataset dataset(std::vector<int64_t>(4, 0), 1);
  EXPECT_THROW(
      BatchLoader(dataset, {0, 4}, eval_transform(fct::config::DataConfig{}), options(2, 2)),
      DataError);
  EXPECT_THROW(BatchLoader(dataset, {0}, eval_transform(fct::config::DataConfig{}), options(0, 0)),
               Error);
}

TEST(BatchLoader, DestructionMidEpochJoinsWorkers) {
  const FashionMnistDataset dataset("", "test");
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < 20; ++round) {
    BatchLoader loader(dataset, shuffled(10000, round), train_transform(fct::config::DataConfig{}),
                       options(32, 3));
    if (round % 2 == 0) loader.next();  // half consume one batch, half none
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30.0);
}

}  // namespace
}  // namespace fct::data
