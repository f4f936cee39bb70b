// ClassSubset / PrefixSubset and make_dataset: label remapping, preserved ids, limits, names.
#include "framework/data/class_subset.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "framework/data/dataset_registry.h"
#include "tests/data/data_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

std::unique_ptr<Dataset> fake(std::vector<int64_t> labels, int64_t classes = 10) {
  return std::make_unique<testing::FakeDataset>(std::move(labels), classes);
}

TEST(ClassSubset, KeepsClassesRemapsLabelsAndPreservesIds) {
  // base index:         0  1  2  3  4  5  6
  ClassSubset subset(fake({7, 2, 5, 2, 9, 7, 0}), {7, 2});
  EXPECT_EQ(subset.size(), 4);
  EXPECT_EQ(subset.num_classes(), 2);
  EXPECT_EQ(subset.classes(), (std::vector<int64_t>{2, 7}));
  const std::vector<int64_t> base = {0, 1, 3, 5};
  const std::vector<int64_t> labels = {1, 0, 0, 1};  // 2 -> 0, 7 -> 1
  for (int64_t i = 0; i < subset.size(); ++i) {
    EXPECT_EQ(subset.base_index(i), base[i]);
    EXPECT_EQ(subset.label(i), labels[i]);
    EXPECT_EQ(subset.id(i), 1000 + base[i]);
    EXPECT_TRUE(
        torch::equal(subset.read(i).pixels, testing::FakeDataset({0}, 1).read(base[i]).pixels));
  }
  EXPECT_THROW(subset.label(4), DataError);
}

TEST(ClassSubset, UnknownOrRepeatedClassIsError) {
  EXPECT_THROW(ClassSubset(fake({0, 1}), {0, 10}), DataError);
  EXPECT_THROW(ClassSubset(fake({0, 1}), {-1}), DataError);
  EXPECT_THROW(ClassSubset(fake({0, 1}), {1, 1}), DataError);
  EXPECT_THROW(ClassSubset(fake({0, 1}), {}), DataError);
}

TEST(PrefixSubset, KeepsFirstSamples) {
  PrefixSubset prefix(fake({4, 5, 6, 7}), 3);
  EXPECT_EQ(prefix.size(), 3);
  EXPECT_EQ(prefix.label(2), 6);
  EXPECT_EQ(prefix.id(2), 1002);
  EXPECT_THROW(prefix.id(3), DataError);
  EXPECT_EQ(PrefixSubset(fake({4, 5}), 10).size(), 2);
}

TEST(DatasetRegistry, NamesAndUnknownName) {
  const auto names = dataset_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "fashion_mnist"), names.end());
  config::DataConfig config;
  config.name = "fashion_mnst";
  try {
    make_dataset(config, "test");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fashion_mnist"), std::string::npos) << e.what();
  }
}

TEST(DatasetRegistry, FashionMnistWithClassesAndLimit) {
  config::DataConfig config;
  config.classes = {4, 0, 1, 2, 3};
  auto old_data = make_dataset(config, "test");
  EXPECT_EQ(old_data->size(), 5000);  // 1000 test images per class
  EXPECT_EQ(old_data->num_classes(), 5);
  for (int64_t i = 0; i < 50; ++i) EXPECT_LT(old_data->label(i), 5);
  // The test split starts 9, 2, 1, 1, 6, 1, 4: the subset's first samples are ids 1, 2, 3, 5, 6.
  EXPECT_EQ(old_data->id(0), 1);
  EXPECT_EQ(old_data->id(3), 5);
  EXPECT_EQ(old_data->label(0), 2);
  EXPECT_EQ(old_data->label(4), 4);

  config.limit = 3;
  auto small = make_dataset(config, "test");
  EXPECT_EQ(small->size(), 3);
  EXPECT_EQ(small->num_classes(), 5);
  EXPECT_EQ(small->id(2), 3);

  config::DataConfig all;
  all.limit = 100;
  EXPECT_EQ(make_dataset(all, "test")->size(), 100);
  EXPECT_EQ(make_dataset(all, "test")->num_classes(), 10);
}

TEST(DatasetRegistry, RootIsPassedToTheReader) {
  testing::ScratchDir dir;
  testing::write_mnist_like(dir.path(), "train", {0, 1, 2});
  config::DataConfig config;
  config.root = dir.path();
  EXPECT_EQ(make_dataset(config, "train")->size(), 3);
}

}  // namespace
}  // namespace fct::data
