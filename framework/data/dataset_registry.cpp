#include "framework/data/dataset_registry.h"

#include "framework/data/class_subset.h"
#include "framework/data/fashion_mnist_dataset.h"

namespace fct::data {

const Registry<DatasetFactory>& dataset_registry() {
  // Every dataset in one list (ImageNet, Places-365 and VGG-Face2 join it here).
  static const Registry<DatasetFactory> registry(
      "dataset",
      {
          {"fashion_mnist",
           [](const std::string& root, const std::string& split) -> std::unique_ptr<Dataset> {
             return std::make_unique<FashionMnistDataset>(root, split);
           }},
      });
  return registry;
}

std::unique_ptr<Dataset> make_dataset(const config::DataConfig& config, const std::string& split) {
  std::unique_ptr<Dataset> dataset = dataset_registry().get(config.name)(config.root, split);
  if (!config.classes.empty())
    dataset = std::make_unique<ClassSubset>(std::move(dataset), config.classes);
  if (config.limit > 0) dataset = std::make_unique<PrefixSubset>(std::move(dataset), config.limit);
  return dataset;
}

std::vector<std::string> dataset_names() {
  return dataset_registry().names();
}

}  // namespace fct::data
