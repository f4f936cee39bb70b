#include "framework/config/result_key.h"

#include "framework/config/config_writer.h"

namespace fct::config {

std::string result_key(DataConfig data) {
  data.loader_threads = DataConfig().loader_threads;
  data.cache_dir = DataConfig().cache_dir;
  return to_yaml(data);
}

std::string result_key(ExperimentConfig config) {
  const ExperimentConfig defaults;
  // The name only labels the run (a study's "fashion_mnist_fct/old"): the same recipe under
  // another study's name trains the same model, and is found in the run cache.
  config.name = defaults.name;
  config.output_dir = defaults.output_dir;
  config.log_every = defaults.log_every;
  config.data.loader_threads = defaults.data.loader_threads;
  config.data.cache_dir = defaults.data.cache_dir;
  config.dist = defaults.dist;
  config.debug = defaults.debug;
  return to_yaml(config);
}

}  // namespace fct::config
