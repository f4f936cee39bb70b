// Runs under mpirun (2 and 3 ranks): rank 0 builds the index and every rank receives the same one;
// an error on rank 0 reaches every rank instead of leaving them waiting; each rank's loader reads
// a disjoint shard of the image files, and the shards cover the split.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "framework/core/error.h"
#include "framework/data/batch_loader.h"
#include "framework/data/image_file_dataset.h"
#include "framework/data/index_cache.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/distributed_sampler.h"
#include "framework/distributed/mpi_c.h"
#include "tests/image_fixtures.h"
#include "tests/test_support.h"

namespace fct::data {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<distributed::Communicator> world() {
  return distributed::make_communicator("mpi", {});
}

std::string broadcast(std::string text) {
  int size = static_cast<int>(text.size());
  MPI_Bcast(&size, 1, MPI_INT, 0, MPI_COMM_WORLD);
  text.resize(static_cast<std::size_t>(size));
  MPI_Bcast(text.data(), size, MPI_CHAR, 0, MPI_COMM_WORLD);
  return text;
}

// Lists `<root>/*.jpg`; label = file number mod 3. Counts its scans; fails when told to.
class FolderLayout : public ImageLayout {
 public:
  mutable int scans = 0;
  bool fail = false;
  std::string name() const override { return "folder_test"; }
  std::vector<std::string> splits() const override { return {"all"}; }
  ImageIndex scan(const std::string& root, const std::string& split,
                  IndexSources& sources) const override {
    ++scans;
    if (fail) throw DataError(root + "/labels.txt:3: not a label");
    ImageIndex index;
    index.layout = name();
    index.split = split;
    index.root = root;
    index.classes = {"a", "b", "c"};
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    for (const auto& file : names)
      index.entries.push_back({file,
                               std::stoll(file.substr(3)) % 3,
                               static_cast<int64_t>(fs::file_size(root + "/" + file)),
                               {}});
    sources.directories.push_back(root);
    return index;
  }
};

class ImageIndexMpi : public ::testing::Test {
 protected:
  void SetUp() override {
    comm_ = world();
    std::string path;
    if (comm_->rank() == 0) {
      scratch_ = std::make_unique<fct::testing::ScratchDir>("fct-index-mpi");
      path = scratch_->path();
      fs::create_directories(path + "/images");
      for (int i = 0; i < 23; ++i)
        fct::testing::write_bytes(
            path + "/images/img" + std::to_string(100 + i) + ".jpg",
            fct::testing::encode_jpeg(fct::testing::test_pattern(20 + i, 24, 3, i)));
    }
    dir_ = broadcast(path);
  }
  void TearDown() override { comm_->barrier(); }

  std::unique_ptr<distributed::Communicator> comm_;
  std::unique_ptr<fct::testing::ScratchDir> scratch_;  // rank 0 owns the files
  std::string dir_;
};

TEST_F(ImageIndexMpi, RankZeroScansAndEveryRankGetsTheSameIndex) {
  FolderLayout layout;
  const IndexLoad load = shared_index(comm_.get(), layout, {dir_ + "/images", "all", dir_ + "/c"});
  EXPECT_EQ(layout.scans, comm_->rank() == 0 ? 1 : 0);
  ASSERT_EQ(load.index.size(), 23);
  EXPECT_EQ(load.index.entries[4].path, "img104.jpg");
  EXPECT_EQ(load.index.entries[4].label, 104 % 3);
  // Every rank holds the same bytes.
  const std::string mine = serialize_index(load.index);
  EXPECT_EQ(broadcast(mine), mine);
  // The second run loads rank 0's cache.
  const IndexLoad again = shared_index(comm_.get(), layout, {dir_ + "/images", "all", dir_ + "/c"});
  EXPECT_TRUE(again.from_cache);
  EXPECT_EQ(layout.scans, comm_->rank() == 0 ? 1 : 0);
}

TEST_F(ImageIndexMpi, AnErrorOnRankZeroReachesEveryRank) {
  FolderLayout layout;
  layout.fail = true;
  try {
    shared_index(comm_.get(), layout, {dir_ + "/images", "all", ""});
    FAIL() << "expected an error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("labels.txt:3"), std::string::npos) << e.what();
  }
}

TEST_F(ImageIndexMpi, EachRankReadsADisjointShard) {
  FolderLayout layout;
  const IndexLoad load = shared_index(comm_.get(), layout, {dir_ + "/images", "all", ""});
  const ImageFileDataset dataset("imagenet", load.index, BadFilePolicy::kFail);
  distributed::SamplerOptions sampler_options;
  sampler_options.dataset_size = dataset.size();
  sampler_options.rank = comm_->rank();
  sampler_options.world_size = comm_->size();
  sampler_options.shuffle = true;
  sampler_options.seed = 3;
  sampler_options.drop_last = true;
  const distributed::DistributedSampler sampler(sampler_options);
  TransformOptions options;
  options.normalization = photograph_normalization();
  options.output_size = 16;
  options.random_resized_crop = true;
  LoaderOptions loader_options;
  loader_options.batch_size = 4;
  loader_options.threads = 2;
  BatchLoader loader(dataset, sampler.indices(0), Transform(options), loader_options);
  std::vector<int64_t> ids;
  while (auto batch = loader.next())
    for (int64_t i = 0; i < batch->ids.size(0); ++i) ids.push_back(batch->ids[i].item<int64_t>());
  // Gather every rank's ids on every rank.
  auto count = torch::tensor({static_cast<int64_t>(ids.size())});
  const auto counts = comm_->all_gather(count);
  const int64_t most = counts.max().item<int64_t>();
  auto padded = torch::full({most}, int64_t{-1});
  for (std::size_t i = 0; i < ids.size(); ++i) padded[static_cast<int64_t>(i)] = ids[i];
  const auto all = comm_->all_gather(padded);
  std::multiset<int64_t> seen;
  for (int64_t r = 0; r < comm_->size(); ++r)
    for (int64_t i = 0; i < counts[r].item<int64_t>(); ++i) seen.insert(all[r][i].item<int64_t>());
  // Disjoint (no id twice) and complete up to the tail dropped for equal shards.
  const std::set<int64_t> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), seen.size());
  EXPECT_EQ(static_cast<int64_t>(seen.size()), dataset.size() / comm_->size() * comm_->size());
  for (const int64_t id : distinct) EXPECT_TRUE(id >= 0 && id < dataset.size());
}

}  // namespace
}  // namespace fct::data
