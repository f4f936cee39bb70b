// The datasets fct can train on, by the name YAML uses (data.name), and make_dataset: the one
// place that turns a DataConfig into a Dataset (reader, then class subset, then sample limit).
// In-memory datasets (Fashion-MNIST) are registered here; datasets of image files (ImageNet,
// Places-365, VGG-Face2, image_folder, image_list) are their layouts (image_layout.h), indexed once
// (index_cache.h) and served by ImageFileDataset.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "framework/config/experiment_config.h"
#include "framework/core/registry.h"
#include "framework/data/dataset.h"
#include "framework/data/normalization.h"
#include "framework/distributed/communicator.h"

namespace fct::data {

// An in-memory dataset: how to build its full split `split` from `root` ("" = its default
// location), and its pixel statistics.
struct InMemoryDataset {
  std::function<std::unique_ptr<Dataset>(const std::string& root, const std::string& split)> make;
  Normalization normalization;
};

const Registry<InMemoryDataset>& dataset_registry();

// What the transforms need to know of a dataset, by name, before it is read.
struct DatasetFacts {
  Normalization normalization;
  bool image_files = false;  // files cropped and resized to data.image_size, not small images
};

// Throws ConfigError (with the known names) for a name neither registry knows.
DatasetFacts dataset_facts(const std::string& name);

// The dataset config.name, split `split`, restricted to config.classes (labels remapped to
// 0..k-1) and then to its first config.limit samples (0 = all). For image-file datasets the index
// comes from rank 0 of `comm` (nullptr: built or loaded by this process), so call it on every rank.
std::unique_ptr<Dataset> make_dataset(const config::DataConfig& config, const std::string& split,
                                      distributed::Communicator* comm = nullptr);

// Every name data.name accepts.
std::vector<std::string> dataset_names();

}  // namespace fct::data
