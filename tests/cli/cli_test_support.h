// Shared by the command-line tests: a tiny experiment that trains in seconds, and running `fct`
// under mpirun.
#pragma once

#include <unistd.h>

#include <string>
#include <vector>

#include "tests/test_support.h"

namespace fct::testing {

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
