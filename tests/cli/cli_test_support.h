// Shared by the command-line tests: a tiny experiment that trains in seconds, and running `fct`
// under mpirun.
#pragma once

#include <unistd.h>

#include <string>
#include <vector>

#include "tests/test_support.h"

namespace fct::testing {

// The FCT study on 600 Fashion-MNIST samples with 4-channel models: every stage in seconds.
inline std::string tiny_study_yaml(const std::string& output_dir) {
  const std::string model = "{arch: resnet18_small, width: 4, embedding_dim: 16, head: conv}";
  const std::string schedule =
      "{epochs: 1, warmup_epochs: 0.2, batch_size: 32, eval_batch_size: 128}";
  const std::string sgd = "{name: sgd, lr: 0.05, momentum: 0.9}";
  return "name: tiny_study\nseed: 1\noutput_dir: " + output_dir +
         "\n"
         "data: {name: fashion_mnist, limit: 600}\n"
         "old: {classes: [0, 1, 2], model: " +
         model + ", optimizer: " + sgd + ", schedule: " + schedule +
         "}\n"
         "side_info:\n"
         "  model: {arch: resnet18_small, width: 4, embedding_dim: 8, head: conv}\n"
         "  simclr: {projection_dim: 8, temperature: 0.2}\n"
         "  optimizer: " +
         sgd + "\n  schedule: " + schedule +
         "\n"
         "new: {model: " +
         model + ", optimizer: " + sgd + ", schedule: " + schedule +
         "}\n"
         "bct: {model: " +
         model + ", optimizer: " + sgd + ", schedule: " + schedule +
         "}\n"
         "bct_loss: {influence_weight: 1.0, prototype_samples: 20}\n"
         "transformation:\n"
         "  transformation: {inner_width: 32, feed: cached, cached_views: 2}\n"
         "  optimizer: {name: adam, lr: 0.001, weight_decay: 0.0}\n"
         "  schedule: {epochs: 2, warmup_epochs: 0.5, batch_size: 64}\n";
}

// A YAML experiment on 512 Fashion-MNIST samples with a 4-channel ResNet-18: seconds per epoch.
inline std::string tiny_experiment_yaml(const std::string& output_dir) {
  return "name: tiny\n"
         "seed: 3\n"
         "output_dir: " +
         output_dir +
         "\n"
         "data:\n"
         "  name: fashion_mnist\n"
         "  limit: 512\n"
         "model:\n"
         "  arch: resnet18_small\n"
         "  width: 4\n"
         "  embedding_dim: 16\n"
         "schedule:\n"
         "  epochs: 2\n"
         "  batch_size: 64\n"
         "  warmup_epochs: 0.5\n"
         "optimizer:\n"
         "  lr: 0.05\n";
}

inline CommandResult run_fct(int ranks, const std::vector<std::string>& args, double deadline_s,
                             const std::string& working_dir = "") {
  std::vector<std::string> argv = {mpiexec(),         "-np",       std::to_string(ranks),
                                   "--oversubscribe", "--bind-to", "none"};
  if (::geteuid() == 0) argv.push_back("--allow-run-as-root");  // CI and containers run as root
  argv.push_back(fct_binary());
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, deadline_s, working_dir);
}

}  // namespace fct::testing
