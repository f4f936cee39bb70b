#include "framework/train/model_import.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/data/batch_loader.h"
#include "framework/data/dataset_registry.h"
#include "framework/data/transforms.h"
#include "framework/models/model_file.h"
#include "framework/models/pretrained_weights.h"
#include "framework/models/state_dict_file.h"
#include "framework/models/torchscript_backbone.h"
#include "framework/train/supervised_training.h"

namespace fct::train {
namespace {

std::string source_of(const config::ModelConfig& model) {
  return model.arch == "torchscript" ? model.path : model.weights;
}

// A TorchScript module expecting its own normalisation is handed the dataset's images: it must
// know how those were normalised.
void tell_dataset_normalization(torch::nn::AnyModule& backbone, const config::DataConfig& data) {
  auto* torchscript = backbone.ptr()->as<models::TorchScriptBackboneImpl>();
  if (!torchscript) return;
  const auto normalization = data::dataset_facts(data.name).normalization;
  torchscript->set_source_normalization(
      std::vector<double>(normalization.mean.begin(), normalization.mean.end()),
      std::vector<double>(normalization.std.begin(), normalization.std.end()));
}

// Rows of a state dict's classifier.weight, or 0 when it has none.
int64_t classifier_rows(const std::string& weights) {
  for (const auto& [key, tensor] : models::read_state_dict_file(weights))
    if (key == "classifier.weight" && tensor.dim() == 2) return tensor.size(0);
  return 0;
}

void check_embeddings(const torch::Tensor& output, const torch::Tensor& image,
                      const config::ModelConfig& model) {
  const std::string source = source_of(model);
  std::ostringstream shapes;
  shapes << "maps an image " << image.sizes() << " to " << output.sizes();
  if (output.dim() != 2 || output.size(0) != 1 || output.size(1) != model.embedding_dim)
    throw Error("model " + source + " " + shapes.str() + "; the config says embeddings of " +
                std::to_string(model.embedding_dim) + " (model.embedding_dim)");
  if (!torch::isfinite(output).all().item<bool>())
    throw Error("model " + source + " " + shapes.str() + " holding NaN or infinite values");
}

}  // namespace

void import_model(const ModelImport& job, distributed::Communicator& comm) {
  if (!job.model.imported())
    throw Error("import_model: model.arch " + job.model.arch +
                " without frozen weights is trained, not imported");
  const std::string source = source_of(job.model);
  const auto dataset = data::make_dataset(job.data, job.data.train_split, &comm);
  if (dataset->size() == 0)
    throw DataError("model import: " + job.data.name + " " + job.data.train_split +
                    " has no image to check the model " + source + " on");
  const int64_t channels = dataset->channels();
  const bool torchscript = job.model.arch == "torchscript";

  torch::nn::AnyModule* backbone = nullptr;
  torch::nn::Module* module = nullptr;
  std::function<torch::Tensor(torch::Tensor)> embed;
  nlohmann::json spec;
  models::EmbeddingModel embedding{nullptr};
  models::SimclrModel side_info{nullptr};
  if (job.kind == models::kEmbeddingKind) {
    std::vector<int64_t> classes = job.data.classes;
    std::sort(classes.begin(), classes.end());
    if (classes.empty())
      for (int64_t c = 0; c < dataset->num_classes(); ++c) classes.push_back(c);
    // Keep a state dict's classifier only when it is over exactly these classes.
    const bool keep_classifier =
        !torchscript && classifier_rows(job.model.weights) == static_cast<int64_t>(classes.size());
    if (!keep_classifier) classes.clear();
    embedding =
        models::make_embedding_model(job.model, channels, static_cast<int64_t>(classes.size()));
    if (!torchscript) models::load_pretrained_weights(job.model.weights, embedding);
    backbone = &embedding->backbone();
    module = embedding.get();
    embed = [&](torch::Tensor x) { return embedding->embed(std::move(x)); };
    spec = models::make_embedding_spec(job.model, job.data.name, channels, classes);
    spec["classifier"] = keep_classifier;
  } else if (job.kind == models::kSideInfoKind) {
    side_info = models::SimclrModel(job.model, channels, /*projection_dim=*/0);
    if (!torchscript) models::load_pretrained_weights(job.model.weights, side_info);
    backbone = &side_info->backbone();
    module = side_info.get();
    embed = [&](torch::Tensor x) { return side_info->embed(std::move(x)); };
    spec = models::make_side_info_spec(job.model, job.data.name, channels, 0);
  } else {
    throw Error("import_model: kind '" + job.kind + "' is neither embedding nor side_info");
  }
  tell_dataset_normalization(*backbone, job.data);
  module->eval();

  torch::NoGradGuard no_grad;
  data::LoaderOptions probe;
  probe.batch_size = 1;
  data::BatchLoader loader(*dataset, {0}, data::eval_transform(job.data), probe);
  const auto batch = loader.next();
  if (!batch)
    throw DataError("model import: the first image of " + job.data.name + " did not load");
  const torch::Tensor image = batch->images;
  check_embeddings(embed(image), image, job.model);

  spec["imported_from"] = {{"file", source}, {"hash", file_hash(source)}};
  if (comm.rank() == 0) {
    models::save_model_file(job.output_path, *module, {job.kind, job.name, spec, job.config_yaml});
    spdlog::info("model {} imported from {} ({}, {} channels -> {})", job.name, source,
                 torchscript ? "TorchScript" : "state dict, frozen", channels,
                 job.model.embedding_dim);
  }
  comm.barrier();
}

}  // namespace fct::train
