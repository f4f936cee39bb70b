#include "framework/train/model_export.h"

#include <yaml-cpp/yaml.h>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/data/dataset_registry.h"
#include "framework/models/model_file.h"
#include "framework/models/pretrained_weights.h"
#include "framework/models/state_dict_file.h"

namespace fct::train {
namespace {

// image_size and eval_crop_fraction of the data section the model was trained with (its default
// when the recorded config lacks them).
config::DataConfig recorded_data(const models::ModelFileInfo& info) {
  config::DataConfig data;
  try {
    const YAML::Node root = YAML::Load(info.config_yaml);
    if (root && root["data"]) {
      if (root["data"]["image_size"]) data.image_size = root["data"]["image_size"].as<int64_t>();
      if (root["data"]["eval_crop_fraction"])
        data.eval_crop_fraction = root["data"]["eval_crop_fraction"].as<double>();
    }
  } catch (const YAML::Exception&) {
    // A model file whose recorded config does not parse keeps the defaults.
  }
  return data;
}

}  // namespace

ExportSummary export_model(const ModelExport& job) {
  const auto info = models::read_model_info(job.model_path);
  ExportSummary summary;
  summary.kind = info.kind;
  std::shared_ptr<torch::nn::Module> weights;
  torch::nn::AnyModule* backbone = nullptr;
  models::EmbeddingModel embedding{nullptr};
  models::SimclrModel side_info{nullptr};
  if (info.kind == models::kEmbeddingKind) {
    embedding = models::load_embedding_model(job.model_path).model;
    backbone = &embedding->backbone();
    summary.embedding_dim = embedding->embedding_dim();
    weights = models::torchvision_view(*backbone->ptr(), embedding->has_classifier()
                                                             ? embedding->classifier()
                                                             : torch::nn::Linear(nullptr));
  } else if (info.kind == models::kSideInfoKind) {
    side_info = models::load_side_info_model(job.model_path).model;
    backbone = &side_info->backbone();
    summary.embedding_dim = side_info->side_info_dim();
    weights = models::torchvision_view(*backbone->ptr());
  } else {
    throw Error("model file " + job.model_path + " holds a " + info.kind +
                " model; fct export writes embedding and side-information models");
  }
  auto* resnet = backbone->ptr()->as<models::ResNetImpl>();
  if (!resnet)
    throw Error("model file " + job.model_path + " holds a " + models::model_config_of(info).arch +
                " backbone (imported from PyTorch): its own file is what PyTorch runs");
  summary.in_channels = resnet->options().in_channels;

  summary.dataset = job.dataset.empty() ? models::trained_dataset_of(info) : job.dataset;
  if (summary.dataset.empty())
    throw Error("model file " + job.model_path +
                " does not record its dataset; name the one whose images it takes (--dataset)");
  const auto facts = data::dataset_facts(summary.dataset);
  summary.transform.mean.assign(facts.normalization.mean.begin(), facts.normalization.mean.end());
  summary.transform.std.assign(facts.normalization.std.begin(), facts.normalization.std.end());
  if (facts.image_files) {
    const auto data = recorded_data(info);
    summary.transform.image_size = data.image_size;
    summary.transform.crop_fraction = data.eval_crop_fraction;
  }

  if (!job.torchscript_path.empty()) {
    auto module = models::export_torchscript(*resnet, summary.transform);
    write_atomically(job.torchscript_path,
                     [&](const std::string& temporary) { module.save(temporary); });
  }
  if (!job.state_dict_path.empty()) models::write_state_dict_file(job.state_dict_path, *weights);
  return summary;
}

}  // namespace fct::train
