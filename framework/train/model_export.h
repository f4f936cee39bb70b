// `fct export`: a trained fct model as PyTorch takes it — a TorchScript module that maps pixel
// values in [0, 1] to the embeddings `fct embed` stores (models/torchscript_export.h), and a state
// dict with torchvision's names plus `classifier.weight` (what model.weights reads back).
#pragma once

#include <cstdint>
#include <string>

#include "framework/models/torchscript_export.h"

namespace fct::train {

struct ModelExport {
  std::string model_path;        // an embedding or side-information model file
  std::string torchscript_path;  // "" = none
  std::string state_dict_path;   // "" = none
  std::string dataset;           // whose evaluation transform; "" = the one it was trained on
};

struct ExportSummary {
  std::string kind;  // models::kEmbeddingKind or kSideInfoKind
  std::string dataset;
  int64_t in_channels = 0;
  int64_t embedding_dim = 0;
  models::ExportTransform transform;
};

// Writes the files atomically. Throws fct::Error naming the model file when it is not an fct
// ResNet (a model imported from TorchScript is exported by its own file).
ExportSummary export_model(const ModelExport& job);

}  // namespace fct::train
