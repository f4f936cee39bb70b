#include "framework/study/run_layout.h"

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

}  // namespace fct::study
