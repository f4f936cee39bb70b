// Models brought in rather than trained: a TorchScript module (model.arch torchscript) or a state
// dict used as given (model.frozen), as φ_old, ψ or φ_new. The import writes the model file a
// training would have left (model.pt), so stores, h, BCT and `fct embed` read it like any other;
// the file records where the weights came from and their hash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/experiment_config.h"
#include "framework/distributed/communicator.h"

namespace fct::train {

struct ModelImport {
  config::ModelConfig model;  // imported(): arch torchscript, or weights with frozen
  config::DataConfig data;    // the images it will embed: channels, normalisation, a probe image
  std::string kind;           // models::kEmbeddingKind or models::kSideInfoKind
  std::string name;           // its role or experiment name, as in trained files ("old", ...)
  std::string config_yaml;    // the resolved config recorded in the file
  std::string output_path;    // the model file to write
};

// Builds the model, checks on one image of data.train_split that it maps [1, C, H, W] to
// [1, embedding_dim] finite values, and writes the file (rank 0; every rank returns after it is
// written). An embedding model keeps a state dict's classifier.weight when it has one row per
// class of data.classes (every class when empty); otherwise it has no classifier: BCT then uses
// class means, FastFill needs mu_disc 0. Throws fct::Error naming the file and what is wrong.
void import_model(const ModelImport& job, distributed::Communicator& comm);

}  // namespace fct::train
