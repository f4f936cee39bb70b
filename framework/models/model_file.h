// Model files: a trained module's weights plus what rebuilds it (its kind and shape) and the
// resolved config that trained it, so that `fct embed` and `fct transform` need nothing but the
// file. A file's hash (of its bytes) names the exact model in store attributes: a transformation
// refuses a gallery embedded by any φ_old other than the one it was trained against.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "framework/config/experiment_config.h"
#include "framework/models/embedding_model.h"
#include "framework/models/simclr_model.h"
#include "framework/models/transformation.h"

namespace fct::models {

// Kinds of model file.
inline constexpr const char* kEmbeddingKind = "embedding";            // φ_old, φ_new, φ_bct
inline constexpr const char* kSideInfoKind = "side_info";             // ψ (SimCLR)
inline constexpr const char* kTransformationKind = "transformation";  // h

struct ModelFileInfo {
  std::string kind;
  std::string name;         // the model's role or experiment name ("old", "new", "h_side_info")
  nlohmann::json spec;      // kind-specific shape, see the make_*_spec functions
  std::string config_yaml;  // resolved config of the training that wrote it
};

// Weights and info, written atomically.
void save_model_file(const std::string& path, torch::nn::Module& module, const ModelFileInfo& info);
// Throws fct::Error naming the file when it is missing, not a model file, or of another kind.
ModelFileInfo read_model_info(const std::string& path, const std::string& expected_kind = "");
// FNV-1a of the file's bytes, 16 hex digits.
std::string model_file_hash(const std::string& path);

// Embedding models: the backbone config, image channels, and the new-label class of each
// classifier output (`classes`, all labels when the model saw every class).
nlohmann::json make_embedding_spec(const config::ModelConfig& model, const std::string& dataset,
                                   int64_t in_channels, const std::vector<int64_t>& classes);
nlohmann::json make_side_info_spec(const config::ModelConfig& model, const std::string& dataset,
                                   int64_t in_channels, int64_t projection_dim);
// h, with the hashes of the model files it was trained against.
nlohmann::json make_transformation_spec(const TransformationSpec& spec,
                                        const std::string& old_model_hash,
                                        const std::string& side_info_model_hash,
                                        const std::string& new_model_hash);

config::ModelConfig model_config_of(const ModelFileInfo& info);
// The dataset an embedding or side-information model was trained on ("" when not recorded), and
// an embedding model's class subset (empty: every class).
std::string trained_dataset_of(const ModelFileInfo& info);
std::vector<int64_t> trained_classes_of(const ModelFileInfo& info);
TransformationSpec transformation_spec_of(const ModelFileInfo& info);

// The file hashes of the models an h was trained between (make_transformation_spec); "" for one
// a file does not record.
struct TransformationModels {
  std::string old_model_hash;
  std::string side_info_model_hash;
  std::string new_model_hash;
};
TransformationModels transformation_models_of(const ModelFileInfo& info);

template <class Model>
struct LoadedModel {
  Model model{nullptr};
  ModelFileInfo info;
  std::string hash;
};

LoadedModel<EmbeddingModel> load_embedding_model(const std::string& path);
LoadedModel<SimclrModel> load_side_info_model(const std::string& path);
LoadedModel<Transformation> load_transformation(const std::string& path);

}  // namespace fct::models
