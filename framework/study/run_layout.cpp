#include "framework/study/run_layout.h"

#include <filesystem>

#include "framework/train/supervised_training.h"

namespace fct::study {
namespace {

constexpr const char* kStoreFile = "store.h5";
constexpr const char* kFeatureCacheFile = "train.h5";

}  // namespace

std::string model_in(const std::string& node_directory) {
  return train::model_path(node_directory);
}

std::string store_in(const std::string& node_directory) {
  return node_directory + "/" + kStoreFile;
}

std::string feature_cache_in(const std::string& node_directory) {
  return node_directory + "/" + kFeatureCacheFile;
}

graph::RunLink model_link(const std::string& role) {
  return {role, ""};
}

graph::RunLink store_link(const std::string& name) {
  return {"stores/" + name + ".h5", kStoreFile};
}

graph::RunLink feature_cache_link() {
  return {std::string("features/") + kFeatureCacheFile, kFeatureCacheFile};
}

std::vector<graph::RunLink> result_links() {
  std::vector<graph::RunLink> links;
  for (const char* file : {"results.json", "results.csv", "results.md"})
    links.push_back({file, file});
  return links;
}

std::string results_json_in(const std::string& run_directory) {
  return run_directory + "/results.json";
}

namespace {
constexpr char kSweepFolder[] = "sweep";
}  // namespace

std::string sweep_directory_of(const std::string& run_directory) {
  return (std::filesystem::path(run_directory) / kSweepFolder).string();
}

bool is_sweep_directory(const std::string& directory) {
  return std::filesystem::path(directory).filename() == kSweepFolder;
}

std::string run_directory_of_sweep(const std::string& sweep_directory) {
  return std::filesystem::path(sweep_directory).parent_path().string();
}

}  // namespace fct::study
