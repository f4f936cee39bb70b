#include "framework/models/pretrained_weights.h"

#include "framework/models/state_dict_file.h"

namespace fct::models {
namespace {

constexpr const char* kClassifierKey = "classifier.weight";

}  // namespace

std::shared_ptr<torch::nn::Module> torchvision_view(torch::nn::Module& backbone,
                                                    torch::nn::Linear classifier) {
  auto view = std::make_shared<torch::nn::Module>();
  for (auto& item : backbone.named_parameters(/*recurse=*/false))
    view->register_parameter(item.key(), item.value());
  for (auto& item : backbone.named_buffers(/*recurse=*/false))
    view->register_buffer(item.key(), item.value());
  for (auto& child : backbone.named_children()) view->register_module(child.key(), child.value());
  if (classifier) view->register_module("classifier", classifier);
  return view;
}

std::vector<std::string> load_pretrained_weights(const std::string& path, EmbeddingModel& model) {
  const auto entries = read_state_dict_file(path);
  bool classifier = false;
  for (const auto& [key, tensor] : entries)
    classifier |= key == kClassifierKey && model->has_classifier() &&
                  tensor.sizes() == model->classifier()->weight.sizes();
  auto view = torchvision_view(*model->backbone().ptr(),
                               classifier ? model->classifier() : torch::nn::Linear(nullptr));
  return load_state_dict(entries, path, *view);
}

std::vector<std::string> load_pretrained_weights(const std::string& path, SimclrModel& model) {
  auto view = torchvision_view(*model->backbone().ptr());
  return load_state_dict_file(path, *view);
}

}  // namespace fct::models
