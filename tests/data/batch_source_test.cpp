// RowBatchSource (framework/data/batch_source.h): row numbers served as ids with their labels, in
// the order given, in batches of batch_size with a short last batch kept or dropped; no images;
// bad labels, batch sizes and rows refused before any batch is made; and LoaderOptions' defaults.
#include "framework/data/batch_source.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "framework/core/error.h"

namespace fct::data {
namespace {

LoaderOptions batches_of(int64_t batch_size, bool drop_last = false, int64_t epoch = 0) {
  LoaderOptions options;
  options.batch_size = batch_size;
  options.drop_last = drop_last;
  options.epoch = epoch;
  return options;
}

std::vector<int64_t> values(const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.contiguous();
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

// Every batch of a stream, as (ids, labels) pairs.
std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> drain(BatchStream& stream) {
  std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> batches;
  while (auto batch = stream.next())
    batches.emplace_back(values(batch->ids), values(batch->labels));
  return batches;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(RowBatchSource, BatchesFollowTheGivenOrderAndKeepAShortLastBatch) {
  const RowBatchSource source(torch::tensor({10, 11, 12, 13, 14, 15, 16}, torch::kInt64));
  EXPECT_EQ(source.size(), 7);
  // A row may be asked for twice (an epoch padded to a multiple of the world size does that).
  auto stream = source.open({6, 2, 2, 0, 5}, batches_of(2, /*drop_last=*/false, /*epoch=*/4));
  auto first = stream->next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->ids.scalar_type(), torch::kInt64);
  EXPECT_EQ(first->labels.scalar_type(), torch::kInt64);
  EXPECT_EQ(first->ids.sizes().vec(), (std::vector<int64_t>{2}));
  EXPECT_EQ(values(first->ids), (std::vector<int64_t>{6, 2}));
  EXPECT_EQ(values(first->labels), (std::vector<int64_t>{16, 12}));
  EXPECT_FALSE(first->images.defined());
  EXPECT_EQ(first->epoch, 4);
  const auto rest = drain(*stream);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].first, (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(rest[0].second, (std::vector<int64_t>{12, 10}));
  EXPECT_EQ(rest[1].first, (std::vector<int64_t>{5}));  // the short last batch is kept
  EXPECT_EQ(rest[1].second, (std::vector<int64_t>{15}));
  // An exhausted stream stays exhausted.
  EXPECT_FALSE(stream->next());
  EXPECT_FALSE(stream->next());
}

TEST(RowBatchSource, DropLastDropsOnlyAShortFinalBatch) {
  const RowBatchSource source(torch::arange(10, torch::kInt64) * 2);
  // 6 rows in batches of 3: nothing is short, nothing is dropped.
  auto even = source.open({0, 1, 2, 3, 4, 5}, batches_of(3, /*drop_last=*/true));
  const auto even_batches = drain(*even);
  ASSERT_EQ(even_batches.size(), 2u);
  EXPECT_EQ(even_batches[1].first, (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(even_batches[1].second, (std::vector<int64_t>{6, 8, 10}));
  // 7 rows: the seventh would be a batch of one.
  auto odd = source.open({9, 8, 7, 6, 5, 4, 3}, batches_of(3, /*drop_last=*/true));
  const auto odd_batches = drain(*odd);
  ASSERT_EQ(odd_batches.size(), 2u);
  EXPECT_EQ(odd_batches[0].first, (std::vector<int64_t>{9, 8, 7}));
  EXPECT_EQ(odd_batches[1].first, (std::vector<int64_t>{6, 5, 4}));
  // Fewer rows than one batch: one short batch, or none when it is dropped.
  auto few = source.open({1, 2}, batches_of(5));
  const auto few_batches = drain(*few);
  ASSERT_EQ(few_batches.size(), 1u);
  EXPECT_EQ(few_batches[0].first, (std::vector<int64_t>{1, 2}));
  auto dropped = source.open({1, 2}, batches_of(5, /*drop_last=*/true));
  EXPECT_FALSE(dropped->next());
}

TEST(RowBatchSource, NoRowsGiveNoBatches) {
  const RowBatchSource source(torch::tensor({3, 4}, torch::kInt64));
  EXPECT_FALSE(source.open({}, batches_of(2))->next());
  // A source without rows opens an empty stream too.
  const RowBatchSource empty(torch::zeros({0}, torch::kInt64));
  EXPECT_EQ(empty.size(), 0);
  EXPECT_FALSE(empty.open({}, batches_of(1))->next());
}

TEST(RowBatchSource, StreamsOfOneSourceAreIndependent) {
  const RowBatchSource source(torch::tensor({7, 8, 9, 10}, torch::kInt64));
  auto a = source.open({0, 1, 2, 3}, batches_of(2));
  auto b = source.open({3, 2, 1, 0}, batches_of(3));
  EXPECT_EQ(values(a->next()->ids), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(values(b->next()->ids), (std::vector<int64_t>{3, 2, 1}));
  EXPECT_EQ(values(a->next()->labels), (std::vector<int64_t>{9, 10}));
  EXPECT_EQ(values(b->next()->labels), (std::vector<int64_t>{7}));
  EXPECT_FALSE(a->next());
  EXPECT_FALSE(b->next());
}

TEST(RowBatchSource, BatchesOwnTheirIds) {
  // A consumer may modify a batch in place (move it to a device, mask it) without touching the
  // rows the stream still has to serve.
  const RowBatchSource source(torch::tensor({0, 1, 2, 3}, torch::kInt64));
  auto stream = source.open({0, 1, 2, 3}, batches_of(2));
  auto first = stream->next();
  ASSERT_TRUE(first);
  first->ids.fill_(99);
  first->labels.fill_(-1);
  EXPECT_EQ(values(stream->next()->ids), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values(source.open({0}, batches_of(1))->next()->labels), (std::vector<int64_t>{0}));
}

TEST(RowBatchSource, NonContiguousLabelsAreReadByRow) {
  // Every other element of 0..19: row r has label 2r.
  const RowBatchSource source(torch::arange(20, torch::kInt64).slice(0, 0, 20, 2));
  EXPECT_EQ(source.size(), 10);
  auto stream = source.open({9, 0, 4}, batches_of(8));
  EXPECT_EQ(values(stream->next()->labels), (std::vector<int64_t>{18, 0, 8}));
}

TEST(RowBatchSource, LabelsMustBeAnInt64Vector) {
  const std::string expected = "row batch source: labels must be an int64 vector";
  EXPECT_EQ(error_of([] { RowBatchSource source{torch::Tensor()}; }), expected);
  EXPECT_EQ(error_of([] {
              RowBatchSource source(torch::tensor({1, 2}, torch::kInt32));
            }),
            expected);
  EXPECT_EQ(error_of([] { RowBatchSource source(torch::tensor({1.0, 2.0})); }), expected);
  EXPECT_EQ(error_of([] { RowBatchSource source(torch::zeros({2, 2}, torch::kInt64)); }), expected);
  EXPECT_EQ(error_of([] { RowBatchSource source(torch::tensor(3, torch::kInt64)); }), expected);
}

TEST(RowBatchSource, BadBatchSizesAndRowsAreRefusedAtOpen) {
  const RowBatchSource source(torch::tensor({1, 2, 3, 4, 5}, torch::kInt64));
  EXPECT_EQ(error_of([&] { source.open({0}, batches_of(0)); }),
            "row batch source: batch_size must be positive, found 0");
  EXPECT_EQ(error_of([&] { source.open({0}, batches_of(-3)); }),
            "row batch source: batch_size must be positive, found -3");
  // A bad row is a data error, found before any batch is made (not halfway through an epoch).
  EXPECT_THROW(source.open({0, 1, 5}, batches_of(1)), DataError);
  EXPECT_THROW(source.open({-1}, batches_of(1)), DataError);
  EXPECT_EQ(error_of([&] {
              source.open({2, 5}, batches_of(1));
            }),
            "row batch source: row 5 out of range [0, 5)");
  EXPECT_EQ(error_of([&] { source.open({-1}, batches_of(1)); }),
            "row batch source: row -1 out of range [0, 5)");
}

TEST(LoaderOptions, DefaultsAreTheDocumentedOnes) {
  const LoaderOptions options;
  EXPECT_EQ(options.batch_size, 256);
  EXPECT_EQ(options.threads, 0);
  EXPECT_EQ(options.prefetch, 0);
  EXPECT_FALSE(options.drop_last);
  EXPECT_EQ(options.seed, 0u);
  EXPECT_EQ(options.epoch, 0);
  EXPECT_EQ(options.views, 1);
  EXPECT_FALSE(options.pin_memory);
  const Batch batch;
  EXPECT_EQ(batch.epoch, 0);
  EXPECT_FALSE(batch.images.defined());
}

}  // namespace
}  // namespace fct::data
