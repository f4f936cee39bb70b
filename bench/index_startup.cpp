// Dataset start-up: how long a run waits for its index. Builds a real image_folder tree of
// classes x files_per_class empty files (1000 x 128 by default: a tenth of ImageNet's training
// split), then measures the first scan, a cached start (every scanned folder re-stamped, the index
// read back), and the same cached start for an index of ImageNet's full 1 281 167 entries. Under
// mpirun the cached start includes rank 0's broadcast to the others. Prints JSON (rank 0).
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "framework/core/allocator_tuning.h"
#include "framework/data/image_layout.h"
#include "framework/data/index_cache.h"
#include "framework/distributed/communicator.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ImageNet's full training index without a million files on disk: the entries are synthesised,
// the sources are the real folders of the small tree (so the cached start stamps 1000 folders).
class SyntheticImagenet : public fct::data::ImageLayout {
 public:
  explicit SyntheticImagenet(const fct::data::ImageIndex& small) : small_(small) {}
  std::string name() const override { return "synthetic_imagenet"; }
  std::vector<std::string> splits() const override { return {"train"}; }
  fct::data::ImageIndex scan(const std::string& root, const std::string& split,
                             fct::data::IndexSources& sources) const override {
    fct::data::ImageIndex index = small_;
    index.layout = name();
    index.entries.clear();
    const int64_t classes = static_cast<int64_t>(index.classes.size());
    for (int64_t i = 0; i < 1281167; ++i) {
      const int64_t c = i % classes;
      index.entries.push_back(
          {index.classes[c] + "/" + index.classes[c] + "_" + std::to_string(i) + ".JPEG",
           c,
           110000 + i % 5000,
           {}});
    }
    for (const auto& c : index.classes) sources.directories.push_back(root + "/" + split + "/" + c);
    return index;
  }

 private:
  const fct::data::ImageIndex& small_;
};

}  // namespace

int main(int argc, char** argv) {
  fct::tune_allocator();  // as the fct command does (Note [Allocator])
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  CLI::App app("dataset index start-up times");
  std::string dir = "build/bench-index";
  int classes = 1000, per_class = 128;
  app.add_option("--dir", dir, "scratch directory for the tree and the cache");
  app.add_option("--classes", classes, "class folders");
  app.add_option("--files-per-class", per_class, "files per class folder");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    MPI_Finalize();
    return app.exit(e);
  }
  auto comm = fct::distributed::make_communicator("mpi", {});
  const std::string root = dir + "/tree";
  if (rank == 0 && !fs::exists(root + "/.complete")) {
    for (int c = 0; c < classes; ++c) {
      char wnid[16];
      std::snprintf(wnid, sizeof wnid, "n%08d", c);
      fs::create_directories(root + "/train/" + wnid);
      for (int f = 0; f < per_class; ++f)
        std::ofstream(root + "/train/" + wnid + "/" + wnid + "_" + std::to_string(f) + ".JPEG");
    }
    std::ofstream(root + "/.complete");
  }
  comm->barrier();
  const auto layout = fct::data::layout_registry().get("image_folder")();
  const std::string cache = dir + "/cache";
  if (rank == 0) fs::remove_all(cache);
  comm->barrier();

  auto start = Clock::now();
  const auto scanned = fct::data::shared_index(comm.get(), *layout, {root, "train", cache});
  const double scan_s = seconds_since(start);
  start = Clock::now();
  const auto cached = fct::data::shared_index(comm.get(), *layout, {root, "train", cache});
  const double cached_s = seconds_since(start);

  const SyntheticImagenet big(scanned.index);
  fct::data::shared_index(comm.get(), big, {root, "train", cache});  // writes its cache
  start = Clock::now();
  const auto full = fct::data::shared_index(comm.get(), big, {root, "train", cache});
  const double full_cached_s = seconds_since(start);

  if (rank == 0)
    std::cout << nlohmann::json{{"ranks", comm->size()},
                                {"tree_files", scanned.index.size()},
                                {"tree_classes", scanned.index.classes.size()},
                                {"first_scan_s", scan_s},
                                {"scan_files_per_s", scanned.index.size() / scan_s},
                                {"cached_start_s", cached_s},
                                {"cached_from_cache", cached.from_cache},
                                {"imagenet_entries", full.index.size()},
                                {"imagenet_cached_start_s", full_cached_s},
                                {"imagenet_from_cache", full.from_cache},
                                {"imagenet_first_scan_estimate_s",
                                 1281167.0 / (scanned.index.size() / scan_s)}}
                     .dump(2)
              << "\n";
  comm.reset();
  MPI_Finalize();
  return 0;
}
