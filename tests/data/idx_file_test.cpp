// IDX reading: the real Debian Fashion-MNIST files, and broken files that must be DataErrors.
#include "framework/data/idx_file.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "tests/data/data_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

const std::string kRoot = "/usr/share/datasets/fashion-mnist";

// Runs `read` and returns the DataError's message ("" if none was thrown).
template <class F>
std::string data_error(F&& read) {
  try {
    read();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(IdxFile, ReadsDebianTestImagesAndLabels) {
  const IdxArray images = read_idx_file(kRoot + "/t10k-images-idx3-ubyte.gz", IdxType::kUInt8, 3);
  EXPECT_EQ(images.dims, (std::vector<int64_t>{10000, 28, 28}));
  EXPECT_EQ(images.data.sizes(), (std::vector<int64_t>{10000, 28, 28}));
  EXPECT_EQ(images.data.scalar_type(), torch::kUInt8);
  EXPECT_EQ(images.data.min().item<int>(), 0);
  EXPECT_EQ(images.data.max().item<int>(), 255);
  // Sum of the first image's pixels (computed independently with Python's gzip module).
  EXPECT_EQ(images.data[0].sum().item<int64_t>(), 33456);

  const IdxArray labels = read_idx_file(kRoot + "/t10k-labels-idx1-ubyte.gz", IdxType::kUInt8, 1);
  ASSERT_EQ(labels.dims, (std::vector<int64_t>{10000}));
  const auto* l = labels.data.data_ptr<uint8_t>();
  EXPECT_EQ((std::vector<int>{l[0], l[1], l[2], l[3], l[4]}), (std::vector<int>{9, 2, 1, 1, 6}));
}

TEST(IdxFile, ReadsDebianTrainLabels) {
  const IdxArray labels = read_idx_file(kRoot + "/train-labels-idx1-ubyte.gz", IdxType::kUInt8, 1);
  ASSERT_EQ(labels.dims, (std::vector<int64_t>{60000}));
  EXPECT_EQ(labels.data[0].item<int>(), 9);  // ankle boot
  EXPECT_EQ(labels.data[3].item<int>(), 3);  // dress
  // Fashion-MNIST is balanced: 6000 per class.
  const auto counts = torch::bincount(labels.data.to(torch::kInt64));
  EXPECT_TRUE(torch::equal(counts, torch::full({10}, 6000, torch::kInt64)));
}

TEST(IdxFile, ReadsPlainAndMultiByteFiles) {
  testing::ScratchDir dir;
  // A plain (not gzip'd) int32 file: big-endian values must come back in native order.
  const std::string path = dir.file("values.idx");
  const std::vector<uint8_t> bytes =
      testing::idx_bytes({2}, {0x00, 0x00, 0x01, 0x02, 0xFF, 0xFF, 0xFF, 0xFE}, 0x0C);
  testing::write_text_file(path, std::string(bytes.begin(), bytes.end()));
  const IdxArray array = read_idx_file(path, IdxType::kInt32, 1);
  ASSERT_EQ(array.data.scalar_type(), torch::kInt32);
  EXPECT_EQ(array.data[0].item<int>(), 258);
  EXPECT_EQ(array.data[1].item<int>(), -2);
}

TEST(IdxFile, TruncatedPayloadIsDataErrorNamingFile) {
  testing::ScratchDir dir;
  const std::string path = dir.file("short-images-idx3-ubyte.gz");
  testing::write_gz(path, testing::idx_bytes({3, 2, 2}, std::vector<uint8_t>(11, 1)));
  const std::string message = data_error([&] { read_idx_file(path, IdxType::kUInt8, 3); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("expected 12"), std::string::npos) << message;
  EXPECT_NE(message.find("found 11"), std::string::npos) << message;
}

TEST(IdxFile, TruncatedGzipStreamIsDataError) {
  testing::ScratchDir dir;
  const std::string full = dir.file("full.gz");
  std::vector<uint8_t> payload(5000);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 31 % 251);
  testing::write_gz(full, testing::idx_bytes({5000}, payload));
  const std::string bytes = testing::read_text_file(full);
  const std::string cut = dir.file("cut.gz");
  testing::write_text_file(cut, bytes.substr(0, bytes.size() / 2));
  const std::string message = data_error([&] { read_idx_file(cut, IdxType::kUInt8, 1); });
  EXPECT_NE(message.find(cut), std::string::npos) << message;
}

TEST(IdxFile, WrongMagicIsDataErrorNamingExpectedAndFound) {
  testing::ScratchDir dir;
  const std::string path = dir.file("labels.gz");
  testing::write_gz(path, testing::idx_bytes({4}, {1, 2, 3, 4}));
  // A label file (1 dim) read as an image file (3 dims).
  std::string message = data_error([&] { read_idx_file(path, IdxType::kUInt8, 3); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("0x00000803"), std::string::npos) << message;
  EXPECT_NE(message.find("0x00000801"), std::string::npos) << message;

  const std::string junk = dir.file("junk.gz");
  testing::write_gz(junk, {'P', 'K', 3, 4, 0, 0, 0, 0});
  message = data_error([&] { read_idx_file(junk, IdxType::kUInt8, 1); });
  EXPECT_NE(message.find(junk), std::string::npos) << message;
  EXPECT_NE(message.find("not an IDX file"), std::string::npos) << message;
}

TEST(IdxFile, WrongTypeIsDataError) {
  testing::ScratchDir dir;
  const std::string path = dir.file("floats.gz");
  testing::write_gz(path, testing::idx_bytes({1}, {0, 0, 0, 0}, 0x0D));
  const std::string message = data_error([&] { read_idx_file(path, IdxType::kUInt8, 1); });
  EXPECT_NE(message.find("float32"), std::string::npos) << message;
  EXPECT_NE(message.find("uint8"), std::string::npos) << message;
}

TEST(IdxFile, TrailingBytesAreDataError) {
  testing::ScratchDir dir;
  const std::string path = dir.file("long.gz");
  testing::write_gz(path, testing::idx_bytes({2}, {1, 2, 3}));
  const std::string message = data_error([&] { read_idx_file(path, IdxType::kUInt8, 1); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("trailing"), std::string::npos) << message;
}

TEST(IdxFile, MissingOrEmptyFileIsDataError) {
  testing::ScratchDir dir;
  EXPECT_THROW(read_idx_file(dir.file("absent.gz"), IdxType::kUInt8, 1), DataError);
  const std::string empty = dir.file("empty.gz");
  testing::write_gz(empty, {});
  const std::string message = data_error([&] { read_idx_file(empty, IdxType::kUInt8, 1); });
  EXPECT_NE(message.find("0 bytes"), std::string::npos) << message;
}

}  // namespace
}  // namespace fct::data
