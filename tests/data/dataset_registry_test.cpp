// The dataset registry (framework/data/dataset_registry.h): the names data.name accepts, what the
// transforms learn of each before reading it (statistics, image files or not), unknown names as a
// ConfigError with a suggestion, and make_dataset on the real Fashion-MNIST (class subsets remapped
// to 0..k-1, then the first `limit` samples, unknown splits refused) and on a small image folder.
#include "framework/data/dataset_registry.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/data/fashion_mnist_dataset.h"
#include "tests/dataset_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

const std::vector<std::string> kLayouts = {"imagenet", "places365", "vggface2", "image_folder",
                                           "image_list"};

template <class E>
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

config::DataConfig fashion(std::vector<int64_t> classes = {}, int64_t limit = 0) {
  config::DataConfig config;
  config.name = "fashion_mnist";
  config.classes = std::move(classes);
  config.limit = limit;
  return config;
}

// The Debian test split, read directly: the reference make_dataset's results are checked against.
const FashionMnistDataset& fashion_test_split() {
  static const FashionMnistDataset dataset("", "test");
  return dataset;
}

TEST(DatasetRegistry, NamesAreFashionMnistThenTheFiveLayouts) {
  std::vector<std::string> expected = {"fashion_mnist"};
  expected.insert(expected.end(), kLayouts.begin(), kLayouts.end());
  EXPECT_EQ(dataset_names(), expected);
  EXPECT_EQ(dataset_registry().names(), (std::vector<std::string>{"fashion_mnist"}));
  EXPECT_EQ(dataset_registry().kind(), "dataset");
}

TEST(DatasetRegistry, FashionMnistFactsAreItsOwnGreyStatistics) {
  const DatasetFacts facts = dataset_facts("fashion_mnist");
  EXPECT_FALSE(facts.image_files);
  ASSERT_EQ(facts.normalization.mean.size(), 1u);
  ASSERT_EQ(facts.normalization.std.size(), 1u);
  EXPECT_FLOAT_EQ(facts.normalization.mean[0], 0.2860f);
  EXPECT_FLOAT_EQ(facts.normalization.std[0], 0.3530f);
  // The registry entry carries the same statistics.
  EXPECT_EQ(dataset_registry().get("fashion_mnist").normalization.mean, facts.normalization.mean);
}

TEST(DatasetRegistry, LayoutsAreImageFilesWithImageNetStatistics) {
  for (const auto& name : kLayouts) {
    const DatasetFacts facts = dataset_facts(name);
    EXPECT_TRUE(facts.image_files) << name;
    EXPECT_EQ(facts.normalization.mean, (std::vector<float>{0.485f, 0.456f, 0.406f})) << name;
    EXPECT_EQ(facts.normalization.std, (std::vector<float>{0.229f, 0.224f, 0.225f})) << name;
  }
}

TEST(DatasetRegistry, UnknownNameIsAConfigErrorWithASuggestion) {
  const std::string known =
      "; known: fashion_mnist, imagenet, places365, vggface2, image_folder, image_list";
  EXPECT_EQ(error_of<ConfigError>([] { dataset_facts("fashion_mnst"); }),
            "unknown dataset 'fashion_mnst' (did you mean 'fashion_mnist'?)" + known);
  EXPECT_EQ(error_of<ConfigError>([] { dataset_facts("imagenet1k"); }),
            "unknown dataset 'imagenet1k' (did you mean 'imagenet'?)" + known);
  // Nothing close: no suggestion, only the list.
  EXPECT_EQ(error_of<ConfigError>([] { dataset_facts("cifar10"); }),
            "unknown dataset 'cifar10'" + known);
  // make_dataset refuses it the same way, before reading anything.
  config::DataConfig config;
  config.name = "fashion-mnist";
  EXPECT_EQ(error_of<ConfigError>([&] { make_dataset(config, "test"); }),
            "unknown dataset 'fashion-mnist' (did you mean 'fashion_mnist'?)" + known);
}

TEST(DatasetRegistry, MakesTheRealFashionMnistTestSplit) {
  const auto dataset = make_dataset(fashion(), "test");
  ASSERT_TRUE(dataset);
  EXPECT_EQ(dataset->name(), "fashion_mnist");
  EXPECT_EQ(dataset->size(), 10000);
  EXPECT_EQ(dataset->num_classes(), 10);
  EXPECT_EQ(dataset->channels(), 1);
  EXPECT_FALSE(dataset->encoded());
  EXPECT_EQ(dataset->label(0), 9);
  EXPECT_EQ(dataset->label(1), 2);
  EXPECT_EQ(dataset->id(4321), 4321);
  EXPECT_EQ(dataset->read(0).pixels.sum().item<int64_t>(), 33456);
}

TEST(DatasetRegistry, ClassSubsetKeepsThoseClassesRemappedInSortedOrder) {
  const FashionMnistDataset& base = fashion_test_split();
  // Listed out of order: label 2 becomes 0 and label 9 becomes 1 (positions in the sorted list).
  const auto dataset = make_dataset(fashion({9, 2}), "test");
  EXPECT_EQ(dataset->num_classes(), 2);
  EXPECT_EQ(dataset->size(), 2000);  // the test split has 1000 images of every class
  int64_t previous_id = -1;
  for (int64_t i = 0; i < dataset->size(); ++i) {
    const int64_t id = dataset->id(i);
    ASSERT_GT(id, previous_id) << "the subset keeps the split's order";
    previous_id = id;
    const int64_t original = base.label(id);
    ASSERT_TRUE(original == 2 || original == 9) << "sample " << i << " has class " << original;
    ASSERT_EQ(dataset->label(i), original == 9 ? 1 : 0) << "sample " << i;
  }
  // Samples 0 (a 9, ankle boot) and 1 (a 2, pullover) of the split are its first two.
  EXPECT_EQ(dataset->id(0), 0);
  EXPECT_EQ(dataset->label(0), 1);
  EXPECT_EQ(dataset->id(1), 1);
  EXPECT_EQ(dataset->label(1), 0);
  EXPECT_TRUE(dataset->read(1).pixels.equal(base.read(1).pixels));
}

TEST(DatasetRegistry, LimitTakesTheFirstSamples) {
  const FashionMnistDataset& base = fashion_test_split();
  const auto dataset = make_dataset(fashion({}, 5), "test");
  EXPECT_EQ(dataset->size(), 5);
  EXPECT_EQ(dataset->num_classes(), 10);
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(dataset->id(i), i);
    EXPECT_EQ(dataset->label(i), base.label(i));
    EXPECT_TRUE(dataset->read(i).pixels.equal(base.read(i).pixels)) << i;
  }
  EXPECT_THROW(dataset->read(5), DataError);
  // A limit past the end keeps everything.
  EXPECT_EQ(make_dataset(fashion({}, 20000), "test")->size(), 10000);
}

TEST(DatasetRegistry, LimitAppliesToTheClassSubset) {
  const FashionMnistDataset& base = fashion_test_split();
  std::vector<int64_t> expected_ids;  // the first four samples of class 0 or 3
  for (int64_t i = 0; i < base.size() && expected_ids.size() < 4; ++i)
    if (base.label(i) == 0 || base.label(i) == 3) expected_ids.push_back(i);
  const auto dataset = make_dataset(fashion({3, 0}, 4), "test");
  ASSERT_EQ(dataset->size(), 4);
  EXPECT_EQ(dataset->num_classes(), 2);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(dataset->id(i), expected_ids[static_cast<std::size_t>(i)]);
    EXPECT_EQ(dataset->label(i),
              base.label(expected_ids[static_cast<std::size_t>(i)]) == 3 ? 1 : 0);
  }
}

TEST(DatasetRegistry, BadSplitsAndClassesAreRefused) {
  EXPECT_NE(error_of<DataError>([] { make_dataset(fashion(), "validation"); }).find("validation"),
            std::string::npos);
  EXPECT_NE(error_of<DataError>([] {
              make_dataset(fashion({2, 10}), "test");
            }).find("unknown class 10 in the class subset; expected 0..9"),
            std::string::npos);
  EXPECT_NE(error_of<DataError>([] {
              make_dataset(fashion({4, 4}), "test");
            }).find("class 4 is listed twice"),
            std::string::npos);
}

TEST(DatasetRegistry, ImageFileDatasetsNeedARoot) {
  config::DataConfig config;
  config.name = "imagenet";
  config.root = "";
  const std::string message = error_of<ConfigError>([&] { make_dataset(config, "train"); });
  EXPECT_EQ(message,
            "data.root: dataset 'imagenet' has no default location; set data.root to its "
            "directory");
}

TEST(DatasetRegistry, MakesAnImageFolderDatasetThroughItsLayout) {
  testing::ScratchDir dir("fct-dataset-registry");
  const auto fixture = testing::write_image_folder_fixture(dir.file("images"));
  const auto& val = fixture.splits.at("val");
  config::DataConfig config;
  config.name = "image_folder";
  config.root = fixture.root;
  config.cache_dir = dir.file("cache");  // the index cache stays in the scratch directory
  const auto dataset = make_dataset(config, "val");
  EXPECT_EQ(dataset->name(), "image_folder");
  EXPECT_TRUE(dataset->encoded());
  EXPECT_EQ(dataset->channels(), 3);
  EXPECT_EQ(dataset->num_classes(), static_cast<int64_t>(val.classes.size()));
  ASSERT_EQ(dataset->size(), static_cast<int64_t>(val.labels.size()));
  for (int64_t i = 0; i < dataset->size(); ++i) {
    const std::string path = dataset->sample_path(i);
    ASSERT_EQ(path.rfind(val.image_root + "/", 0), 0u) << path;
    const std::string relative = path.substr(val.image_root.size() + 1);
    ASSERT_TRUE(val.labels.count(relative)) << relative;
    EXPECT_EQ(dataset->label(i), val.labels.at(relative)) << relative;
  }

  // The class subset of the layout's labels: only the dogs (label 1), relabelled 0.
  config.classes = {1};
  const auto dogs = make_dataset(config, "val");
  int64_t expected_dogs = 0;
  for (const auto& [path, label] : val.labels) expected_dogs += label == 1 ? 1 : 0;
  EXPECT_EQ(dogs->size(), expected_dogs);
  EXPECT_EQ(dogs->num_classes(), 1);
  for (int64_t i = 0; i < dogs->size(); ++i) {
    EXPECT_EQ(dogs->label(i), 0);
    EXPECT_NE(dogs->sample_path(i).find("/dog/"), std::string::npos) << dogs->sample_path(i);
  }

  // A split with no folder is a configuration error naming it.
  config.classes.clear();
  const std::string message = error_of<ConfigError>([&] { make_dataset(config, "tran"); });
  EXPECT_NE(message.find("unknown split 'tran' (did you mean 'train'?)"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace fct::data
