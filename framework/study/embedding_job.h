// `fct embed`: one model (and optionally the side-information model ψ) over every sample of one
// split, into a store with the attributes that say what produced it (model name and file hash,
// resolved config, git revision, creation time, dataset, split).
#pragma once

#include <string>

#include "framework/config/experiment_config.h"
#include "framework/distributed/communicator.h"

namespace fct::study {

struct EmbeddingJob {
  std::string model_path;      // an embedding model file
  std::string side_info_path;  // a side_info model file, or "" for none
  config::DataConfig data;     // dataset name/root; `classes` ignored: a gallery holds every class
  std::string split = "test";
  std::string output_path;
  int64_t batch_size = 1024;  // per rank
  torch::Device device = torch::kCPU;
  bool show_progress = true;
};

void run_embedding_job(const EmbeddingJob& job, distributed::Communicator& comm);

}  // namespace fct::study
