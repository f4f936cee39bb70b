#include "framework/data/dataset_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "framework/core/suggest.h"
#include "framework/data/class_subset.h"
#include "framework/data/fashion_mnist_dataset.h"
#include "framework/data/image_file_dataset.h"
#include "framework/data/image_layout.h"
#include "framework/data/index_cache.h"

namespace fct::data {

const Registry<InMemoryDataset>& dataset_registry() {
  static const Registry<InMemoryDataset> registry(
      "dataset",
      {
          {"fashion_mnist",
           {[](const std::string& root, const std::string& split) -> std::unique_ptr<Dataset> {
              return std::make_unique<FashionMnistDataset>(root, split);
            },
            FashionMnistDataset::normalization()}},
      });
  return registry;
}

namespace {

[[noreturn]] void throw_unknown_dataset(const std::string& name) {
  std::string known;
  for (const auto& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
  throw ConfigError("unknown dataset '" + name + "'" + did_you_mean(name, dataset_names()) +
                    "; known: " + known);
}

}  // namespace

DatasetFacts dataset_facts(const std::string& name) {
  if (dataset_registry().contains(name))
    return DatasetFacts{dataset_registry().get(name).normalization, false};
  if (layout_registry().contains(name))
    return DatasetFacts{layout_registry().get(name)()->normalization(), true};
  throw_unknown_dataset(name);
}

std::unique_ptr<Dataset> make_dataset(const config::DataConfig& config, const std::string& split,
                                      distributed::Communicator* comm) {
  std::unique_ptr<Dataset> dataset;
  if (dataset_registry().contains(config.name)) {
    dataset = dataset_registry().get(config.name).make(config.root, split);
  } else if (!layout_registry().contains(config.name)) {
    throw_unknown_dataset(config.name);
  } else {
    if (config.root.empty())
      throw ConfigError("data.root: dataset '" + config.name +
                        "' has no default location; set data.root to its directory");
    const auto layout = layout_registry().get(config.name)();
    const IndexLoad load =
        shared_index(comm, *layout, {config.root, split, config.cache_dir, /*rebuild=*/false});
    if (comm == nullptr || comm->rank() == 0)
      spdlog::info("data: {} {}: {} images of {} classes, index {} in {:.1f} s{}", config.name,
                   split, load.index.size(), load.index.classes.size(),
                   load.from_cache ? "loaded" : "built", load.seconds,
                   load.cache_path.empty() ? "" : " (" + load.cache_path + ")");
    const auto& problems = load.index.problems;
    if (!problems.empty() && (comm == nullptr || comm->rank() == 0)) {
      constexpr std::size_t kShown = 3;
      for (std::size_t i = 0; i < std::min(problems.size(), kShown); ++i)
        spdlog::warn("data: {}", problems[i]);
      if (problems.size() > kShown)
        spdlog::warn("data: ... {} more label-list problems: fct data verify lists them all",
                     problems.size() - kShown);
    }
    dataset = std::make_unique<ImageFileDataset>(config.name, load.index, config.bad_files);
  }
  if (!config.classes.empty())
    dataset = std::make_unique<ClassSubset>(std::move(dataset), config.classes);
  if (config.limit > 0) dataset = std::make_unique<PrefixSubset>(std::move(dataset), config.limit);
  return dataset;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names = dataset_registry().names();
  for (const auto& name : layout_registry().names()) names.push_back(name);
  return names;
}

}  // namespace fct::data
