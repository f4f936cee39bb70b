// Image files through the loader: the encoded path gives the same pixels as decoding first (and
// close ones when it decodes at a DCT scale), regions are clamped, batches are the same for every
// thread count, and bad files are skipped and counted or fail the run, as configured.
#include "framework/data/image_file_dataset.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "framework/core/error.h"
#include "framework/data/batch_loader.h"
#include "framework/data/input_log.h"
#include "framework/data/transforms.h"
#include "tests/image_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

using fct::testing::encode_jpeg;
using fct::testing::test_pattern;
using fct::testing::write_bytes;

// A directory of labelled JPEGs and the index over it, built by hand (layouts have own tests).
struct FileTree {
  fct::testing::ScratchDir dir{"fct-image-files"};
  ImageIndex index;

  FileTree() {
    index.layout = "test";
    index.split = "train";
    index.root = dir.path();
    index.classes = {"a", "b", "c"};
  }
  void add(const std::string& name, const std::vector<uint8_t>& bytes, int64_t label,
           RegionBox box = {}) {
    write_bytes(dir.file(name), bytes);
    index.entries.push_back({name, label, static_cast<int64_t>(bytes.size()), box});
  }
  void add_photo(const std::string& name, int64_t h, int64_t w, int64_t label, uint64_t seed) {
    add(name, encode_jpeg(test_pattern(h, w, 3, seed), {95, fct::testing::Chroma::k444}), label);
  }
};

TransformOptions rrc(int64_t size) {
  TransformOptions o;
  o.normalization = photograph_normalization();
  o.output_size = size;
  o.random_resized_crop = true;
  o.hflip_probability = 0.5;
  return o;
}

TEST(ImageFileDataset, EncodedPathEqualsDecodingFirstAtFullScale) {
  FileTree tree;
  tree.add_photo("x.jpg", 60, 80, 0, 1);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kFail);
  ImageDecoder decoder;
  TransformOptions centre;
  centre.normalization = photograph_normalization();
  centre.output_size = 48;
  centre.center_crop_fraction = 0.875;
  for (const auto& options : {rrc(48), centre}) {
    const Transform transform(options);
    for (int64_t epoch = 0; epoch < 5; ++epoch) {
      // Output 48 of boxes smaller than 96 pixels: no DCT scaling, so identical pixels.
      const torch::Tensor expected = transform(dataset.read(0), 3, epoch, 0);
      torch::Tensor actual = torch::empty_like(expected);
      SampleRng rng(3, epoch, 0);
      const auto result =
          transform.apply_encoded(decoder, dataset.read_encoded(0), rng, actual.data_ptr<float>());
      EXPECT_EQ(result.scale_denominator, 1);
      EXPECT_TRUE(torch::equal(actual, expected)) << "epoch " << epoch;
    }
  }
}

TEST(ImageFileDataset, LargeCropsDecodeAtADctScaleAndStayClose) {
  FileTree tree;
  tree.add_photo("big.jpg", 480, 640, 0, 2);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kFail);
  ImageDecoder decoder;
  TransformOptions centre;
  centre.normalization = {{0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}};  // values in [0, 1]
  centre.output_size = 32;
  centre.center_crop_fraction = 0.875;
  const Transform transform(centre);
  const torch::Tensor full = transform(dataset.read(0), 0, 0, 0);
  torch::Tensor scaled = torch::empty_like(full);
  SampleRng rng(0, 0, 0);
  const auto result =
      transform.apply_encoded(decoder, dataset.read_encoded(0), rng, scaled.data_ptr<float>());
  // 420-pixel crop to 32: 1/8 keeps 52 >= 32 pixels.
  EXPECT_EQ(result.scale_denominator, 8);
  // The pattern is smooth: the DCT-scaled image differs little from the resampled full one.
  EXPECT_LT((scaled - full).abs().mean().item<double>(), 0.06);
}

TEST(ImageFileDataset, DecodingOnlyTheCropGivesTheSamePicture) {
  FileTree tree;
  tree.add_photo("big444.jpg", 300, 400, 0, 5);
  tree.add("big420.jpg", encode_jpeg(test_pattern(300, 400, 3, 6), {90}), 1);
  tree.add("prog.jpg",
           encode_jpeg(test_pattern(200, 260, 3, 7), {90, fct::testing::Chroma::k420, true}), 1);
  tree.add("grey.jpg", encode_jpeg(test_pattern(180, 240, 1, 8), {90, fct::testing::Chroma::kGrey}),
           2);
  tree.add("cmyk.jpg", fct::testing::encode_cmyk_jpeg(test_pattern(160, 200, 4, 9)), 2);
  auto cut = encode_jpeg(test_pattern(240, 320, 3, 10), {90});
  cut.resize(cut.size() * 7 / 10);
  tree.add("truncated.jpg", cut, 0);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kFail);
  ImageDecoder decoder;
  TransformOptions whole = rrc(32);
  whole.region_decode_below = 0.0;  // never
  whole.normalization = {{0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}};
  whole.scale_min = 0.05;
  whole.scale_max = 0.3;
  TransformOptions part = whole;
  part.region_decode_below = 1.0;  // always
  for (int64_t i = 0; i < dataset.size(); ++i) {
    for (int64_t epoch = 0; epoch < 4; ++epoch) {
      torch::Tensor a = torch::empty({3, 32, 32}), b = torch::empty({3, 32, 32});
      SampleRng ra(1, epoch, i), rb(1, epoch, i);
      const auto file = dataset.read_encoded(i);
      const auto ta = Transform(whole).apply_encoded(decoder, file, ra, a.data_ptr<float>());
      const auto tb = Transform(part).apply_encoded(decoder, file, rb, b.data_ptr<float>());
      EXPECT_EQ(ta.scale_denominator, tb.scale_denominator);
      // The crop may end above the missing rows; the whole file is always flagged.
      if (tb.truncated) EXPECT_TRUE(ta.truncated) << file.path;
      if (file.path.find("truncated") != std::string::npos) EXPECT_TRUE(ta.truncated);
      // Only chroma upsampling at the cut differs.
      EXPECT_LT((a - b).abs().mean().item<double>(), 0.01) << file.path << " epoch " << epoch;
    }
  }
  // A region decode of a file that is not a JPEG decodes it whole.
  const auto png = fct::testing::encode_png(test_pattern(20, 30, 3, 1));
  const auto region = decoder.decode_region(png.data(), png.size(), "x.png", 5, 5, 10, 10, 1);
  EXPECT_EQ(region.width, 30);
  EXPECT_EQ(region.decoded.image.pixels.size(0), 20);
}

TEST(ImageFileDataset, LargePngsAreCroppedWhereTheCropWasDrawn) {
  // A PNG has no DCT scaling: a crop large enough for 1/8 must still map at full resolution.
  FileTree tree;
  tree.add("big.JPEG", fct::testing::encode_png(test_pattern(600, 640, 3, 3)), 0);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kFail);
  ImageDecoder decoder;
  TransformOptions centre;
  centre.normalization = photograph_normalization();
  centre.output_size = 32;
  centre.center_crop_fraction = 0.875;
  for (const auto& options : {centre, rrc(32)}) {
    const Transform transform(options);
    const torch::Tensor expected = transform(dataset.read(0), 0, 1, 0);
    torch::Tensor actual = torch::empty_like(expected);
    SampleRng rng(0, 1, 0);
    const auto result =
        transform.apply_encoded(decoder, dataset.read_encoded(0), rng, actual.data_ptr<float>());
    EXPECT_EQ(result.scale_denominator, 1);
    EXPECT_TRUE(torch::equal(actual, expected));
  }
}

TEST(ImageFileDataset, DamagedFilesNeverCrashTheCropDecoder) {
  // Bytes flipped, runs zeroed and tails cut, in baseline, progressive, grey and CMYK files: each
  // decode through the crop path either works or throws DataError naming the file.
  std::vector<std::vector<uint8_t>> originals{
      encode_jpeg(test_pattern(90, 120, 3, 1), {90}),
      encode_jpeg(test_pattern(90, 120, 3, 2), {95, fct::testing::Chroma::k444, true}),
      encode_jpeg(test_pattern(70, 60, 1, 3), {90, fct::testing::Chroma::kGrey}),
      fct::testing::encode_cmyk_jpeg(test_pattern(64, 80, 4, 4))};
  ImageDecoder decoder;
  TransformOptions options = rrc(16);
  options.region_decode_below = 2.0;
  const Transform transform(options);
  SampleRng damage(99, 0, 0);
  std::vector<float> out(3 * 16 * 16);
  int decoded = 0, rejected = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::vector<uint8_t> bytes = originals[static_cast<std::size_t>(trial) % originals.size()];
    const auto n = static_cast<int64_t>(bytes.size());
    switch (trial % 3) {
      case 0:
        for (int k = 0; k < 1 + trial % 7; ++k)
          bytes[static_cast<std::size_t>(damage.integer(2, n - 1))] ^=
              static_cast<uint8_t>(damage.integer(1, 255));
        break;
      case 1: {
        const int64_t at = damage.integer(2, n - 1);
        for (int64_t i = at; i < std::min(n, at + 24); ++i) bytes[static_cast<std::size_t>(i)] = 0;
        break;
      }
      default:
        bytes.resize(static_cast<std::size_t>(damage.integer(3, n - 1)));
    }
    const EncodedImage file{std::string(bytes.begin(), bytes.end()), "fuzz.jpg", {}};
    SampleRng rng(1, trial, 0);
    try {
      transform.apply_encoded(decoder, file, rng, out.data());
      ++decoded;
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find("fuzz.jpg"), std::string::npos) << e.what();
      ++rejected;
    }
  }
  EXPECT_GT(decoded, 0);
  EXPECT_GT(rejected, 0);
  // The decoder still works after all that.
  SampleRng rng(0, 0, 0);
  const EncodedImage good{std::string(originals[0].begin(), originals[0].end()), "good.jpg", {}};
  EXPECT_FALSE(transform.apply_encoded(decoder, good, rng, out.data()).truncated);
}

TEST(ImageFileDataset, RegionsAreClampedToTheImage) {
  const PixelRect inside = clamp_region({10, 5, 20, 30}, 100, 80);
  EXPECT_EQ(inside.x0, 10);
  EXPECT_EQ(inside.y0, 5);
  EXPECT_EQ(inside.width(), 20);
  EXPECT_EQ(inside.height(), 30);
  const PixelRect past = clamp_region({-15.4f, 60, 50, 40}, 100, 80);  // left and bottom edges
  EXPECT_EQ(past.x0, 0);
  EXPECT_EQ(past.x1, 35);
  EXPECT_EQ(past.y0, 60);
  EXPECT_EQ(past.y1, 80);
  const PixelRect outside = clamp_region({200, 200, 10, 10}, 100, 80);
  EXPECT_EQ(outside.width(), 100);  // nothing left: the whole image
  EXPECT_EQ(clamp_region({}, 100, 80).height(), 80);

  FileTree tree;
  tree.add("face.jpg", encode_jpeg(test_pattern(40, 50, 3, 4), {95, fct::testing::Chroma::k444}), 1,
           {-10, 10, 30, 100});
  const ImageFileDataset dataset("vggface2", tree.index, BadFilePolicy::kFail);
  const torch::Tensor pixels = dataset.read(0).pixels;
  EXPECT_EQ(pixels.size(0), 30);  // rows 10..40
  EXPECT_EQ(pixels.size(1), 20);  // columns 0..20
}

LoaderOptions loader_options(int64_t threads) {
  LoaderOptions o;
  o.batch_size = 3;
  o.threads = threads;
  o.seed = 5;
  o.epoch = 1;
  o.views = 2;
  return o;
}

std::vector<Batch> drain(BatchLoader& loader) {
  std::vector<Batch> batches;
  while (auto batch = loader.next()) batches.push_back(std::move(*batch));
  return batches;
}

TEST(ImageFileDataset, BatchesAreTheSameForEveryThreadCount) {
  FileTree tree;
  for (int i = 0; i < 8; ++i)
    tree.add_photo("img" + std::to_string(i) + ".jpg", 40 + 7 * i, 90 - 5 * i, i % 3, i);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kFail);
  const std::vector<int64_t> indices{7, 2, 5, 0, 1, 6, 3, 4};
  BatchLoader single(dataset, indices, Transform(rrc(24)), loader_options(0));
  const auto expected = drain(single);
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_EQ(expected[0].images.sizes(), (std::vector<int64_t>{6, 3, 24, 24}));
  for (const int64_t threads : {1, 3}) {
    BatchLoader threaded(dataset, indices, Transform(rrc(24)), loader_options(threads));
    const auto batches = drain(threaded);
    ASSERT_EQ(batches.size(), expected.size());
    for (std::size_t b = 0; b < batches.size(); ++b) {
      EXPECT_TRUE(torch::equal(batches[b].images, expected[b].images)) << threads << " " << b;
      EXPECT_TRUE(torch::equal(batches[b].labels, expected[b].labels));
      EXPECT_TRUE(torch::equal(batches[b].ids, expected[b].ids));
    }
  }
}

// Four good files, with a zero-byte file, a garbage file and a truncated JPEG among them.
void add_good_and_bad_files(FileTree& tree) {
  tree.add_photo("good0.jpg", 40, 48, 0, 10);
  tree.add("empty.jpg", {}, 1);
  tree.add_photo("good1.jpg", 44, 40, 1, 11);
  std::vector<uint8_t> garbage(300);
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 5);
  tree.add("garbage.jpg", garbage, 2);
  tree.add_photo("good2.jpg", 52, 40, 2, 12);
  // Large enough that 60% of the file reaches well into the scan (past the tables).
  auto whole = encode_jpeg(test_pattern(160, 200, 3, 13), {92, fct::testing::Chroma::k420});
  whole.resize(whole.size() * 6 / 10);
  tree.add("truncated.jpg", whole, 0);
}

TEST(ImageFileDataset, SkipPolicyReplacesBadFilesDeterministicallyAndCountsThem) {
  FileTree tree;
  add_good_and_bad_files(tree);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kSkip);
  const std::vector<int64_t> indices{0, 1, 2, 3, 4, 5};
  std::vector<Batch> first;
  for (const int64_t threads : {0, 2}) {
    BatchLoader loader(dataset, indices, Transform(rrc(16)), loader_options(threads));
    const auto batches = drain(loader);
    ASSERT_EQ(batches.size(), 2u);
    // empty.jpg (index 1) becomes good1 (index 2); garbage.jpg (3) becomes good2 (4).
    EXPECT_EQ(batches[0].ids[1].item<int64_t>(), 2);
    EXPECT_EQ(batches[0].labels[1].item<int64_t>(), 1);
    EXPECT_EQ(batches[1].ids[0].item<int64_t>(), 4);
    EXPECT_EQ(batches[1].ids[2].item<int64_t>(), 5);  // the truncated file is used
    if (first.empty()) {
      first = batches;
    } else {
      for (std::size_t b = 0; b < batches.size(); ++b)
        EXPECT_TRUE(torch::equal(batches[b].images, first[b].images));
    }
  }
  const auto counts = dataset.input_log()->counts();
  EXPECT_EQ(counts.skipped_files, 2);
  EXPECT_EQ(counts.skipped_reads, 2 * 2);  // two loaders
  EXPECT_EQ(counts.truncated_files, 1);
  const auto summary = dataset.input_log()->summary();
  EXPECT_EQ(summary["skipped"].size(), 2u);
  EXPECT_NE(summary["skipped"][0].get<std::string>().find("empty.jpg"), std::string::npos);
}

TEST(ImageFileDataset, FailPolicyStopsTheRunNamingTheFile) {
  FileTree tree;
  add_good_and_bad_files(tree);
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kFail);
  for (const int64_t threads : {0, 2}) {
    BatchLoader loader(dataset, {0, 1, 2}, Transform(rrc(16)), loader_options(threads));
    try {
      loader.next();
      FAIL() << "a zero-byte file must fail the run";
    } catch (const DataError& e) {
      EXPECT_NE(std::string(e.what()).find("empty.jpg"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad_files"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(dataset.input_log()->counts().skipped_files, 0);
}

TEST(ImageFileDataset, AMissingListedFileIsABadFile) {
  FileTree tree;
  tree.add_photo("here.jpg", 30, 30, 0, 1);
  tree.index.entries.push_back({"gone.jpg", 1, -1, {}});
  const ImageFileDataset dataset("imagenet", tree.index, BadFilePolicy::kSkip);
  EXPECT_THROW(dataset.read_encoded(1), DataError);
  BatchLoader loader(dataset, {1}, Transform(rrc(8)), loader_options(0));
  const auto batch = loader.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->ids[0].item<int64_t>(), 0);  // wrapped around to the first sample
  EXPECT_EQ(dataset.input_log()->counts().skipped_files, 1);
}

TEST(ImageFileDataset, IndexRoundTripsAndRejectsDamage) {
  FileTree tree;
  add_good_and_bad_files(tree);
  tree.index.problems = {"x: listed but missing"};
  tree.index.entries[0].box = {1.5f, -2, 30, 40};
  const std::string blob = serialize_index(tree.index);
  const ImageIndex back = deserialize_index(blob, "test");
  EXPECT_EQ(back.root, tree.index.root);
  EXPECT_EQ(back.classes, tree.index.classes);
  EXPECT_EQ(back.problems, tree.index.problems);
  ASSERT_EQ(back.size(), tree.index.size());
  for (int64_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back.entries[i].path, tree.index.entries[i].path);
    EXPECT_EQ(back.entries[i].label, tree.index.entries[i].label);
    EXPECT_EQ(back.entries[i].bytes, tree.index.entries[i].bytes);
  }
  EXPECT_FLOAT_EQ(back.entries[0].box.x, 1.5f);
  EXPECT_FLOAT_EQ(back.entries[0].box.height, 40.0f);
  EXPECT_THROW(deserialize_index(blob.substr(0, blob.size() - 3), "cut"), DataError);
  EXPECT_THROW(deserialize_index("not an index", "text"), DataError);
  EXPECT_THROW(deserialize_index(blob + "x", "long"), DataError);
}

}  // namespace
}  // namespace fct::data
