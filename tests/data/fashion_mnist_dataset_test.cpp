// Fashion-MNIST: the real Debian splits, and small fixture files with inconsistent contents.
#include "framework/data/fashion_mnist_dataset.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "tests/data/data_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

template <class F>
std::string data_error(F&& make) {
  try {
    make();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(FashionMnistDataset, TestSplitFromDebianFiles) {
  FashionMnistDataset dataset("", "test");
  EXPECT_EQ(dataset.name(), "fashion_mnist");
  EXPECT_EQ(dataset.size(), 10000);
  EXPECT_EQ(dataset.num_classes(), 10);
  EXPECT_EQ(dataset.channels(), 1);
  EXPECT_EQ(dataset.height(), 28);
  EXPECT_EQ(dataset.width(), 28);
  EXPECT_EQ(dataset.label(0), 9);
  EXPECT_EQ(dataset.label(1), 2);
  EXPECT_EQ(dataset.id(1234), 1234);
  const RawImage image = dataset.read(0);
  EXPECT_EQ(image.pixels.sizes(), (std::vector<int64_t>{28, 28, 1}));
  EXPECT_EQ(image.pixels.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(image.pixels.is_contiguous());
  EXPECT_EQ(image.pixels.sum().item<int64_t>(), 33456);
  EXPECT_THROW(dataset.read(10000), DataError);
  EXPECT_THROW(dataset.label(-1), DataError);
}

TEST(FashionMnistDataset, TrainSplitFromDebianFiles) {
  FashionMnistDataset dataset(FashionMnistDataset::kDefaultRoot, "train");
  EXPECT_EQ(dataset.size(), 60000);
  EXPECT_EQ(dataset.label(0), 9);
  EXPECT_EQ(dataset.label(59999), dataset.label(59999));
  EXPECT_EQ(dataset.read(0).pixels.sum().item<int64_t>(), 76247);
}

TEST(FashionMnistDataset, UnknownSplitIsDataError) {
  const std::string message = data_error([] { FashionMnistDataset("", "validation"); });
  EXPECT_NE(message.find("validation"), std::string::npos) << message;
}

TEST(FashionMnistDataset, ReadsFixtureFiles) {
  testing::ScratchDir dir;
  testing::write_mnist_like(dir.path(), "t10k", {3, 0, 9}, 4, 5);
  FashionMnistDataset dataset(dir.path(), "test");
  EXPECT_EQ(dataset.size(), 3);
  EXPECT_EQ(dataset.label(2), 9);
  const RawImage image = dataset.read(1);
  EXPECT_EQ(image.pixels.sizes(), (std::vector<int64_t>{4, 5, 1}));
  EXPECT_EQ(image.pixels[0][1][0].item<int>(), 8);  // (1 * 7 + 1) % 256
}

TEST(FashionMnistDataset, LabelOutOfRangeNamesFileAndSample) {
  testing::ScratchDir dir;
  testing::write_mnist_like(dir.path(), "train", {1, 2, 10, 3});
  const std::string message = data_error([&] { FashionMnistDataset(dir.path(), "train"); });
  EXPECT_NE(message.find(dir.file("train-labels-idx1-ubyte.gz")), std::string::npos) << message;
  EXPECT_NE(message.find("sample 2"), std::string::npos) << message;
  EXPECT_NE(message.find("label 10"), std::string::npos) << message;
}

TEST(FashionMnistDataset, CountMismatchIsDataError) {
  testing::ScratchDir dir;
  testing::write_mnist_like(dir.path(), "train", {1, 2, 3});
  testing::write_gz(dir.file("train-labels-idx1-ubyte.gz"), testing::idx_bytes({2}, {1, 2}));
  const std::string message = data_error([&] { FashionMnistDataset(dir.path(), "train"); });
  EXPECT_NE(message.find("expected 3 labels"), std::string::npos) << message;
  EXPECT_NE(message.find("found 2"), std::string::npos) << message;
}

TEST(FashionMnistDataset, TruncatedImagesNameTheFile) {
  testing::ScratchDir dir;
  testing::write_mnist_like(dir.path(), "train", {1, 2});
  const std::string images = dir.file("train-images-idx3-ubyte.gz");
  testing::write_gz(images, testing::idx_bytes({2, 28, 28}, std::vector<uint8_t>(28 * 28 + 5)));
  const std::string message = data_error([&] { FashionMnistDataset(dir.path(), "train"); });
  EXPECT_NE(message.find(images), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
}

TEST(FashionMnistDataset, MissingFilesAreDataError) {
  testing::ScratchDir dir;
  const std::string message = data_error([&] { FashionMnistDataset(dir.path(), "train"); });
  EXPECT_NE(message.find("train-images-idx3-ubyte"), std::string::npos) << message;
}

}  // namespace
}  // namespace fct::data
