// Starting fct's own backbones from PyTorch weights (model.weights): a state dict as
// `torch.save(model.state_dict())` writes it, with torchvision's names (conv1.weight,
// layer1.0.bn1.running_mean, ...), which fct's ResNets share.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/models/embedding_model.h"
#include "framework/models/simclr_model.h"

namespace fct::models {

// The backbone's parameters and buffers under the names they have inside it, as a torchvision
// model's state dict names them (no "backbone." prefix), plus `classifier` when not null: what
// `fct export` writes and model.weights reads.
std::shared_ptr<torch::nn::Module> torchvision_view(
    torch::nn::Module& backbone, torch::nn::Linear classifier = torch::nn::Linear(nullptr));

// Every parameter and buffer of the backbone must be in the file with its shape (else fct::Error
// naming the file, the key and both shapes). The file's `classifier.weight` (what `fct export`
// writes) goes into the classifier when it has its shape. Returns the keys left unused (a
// torchvision model's fc.*, a classifier over other classes), for the caller to report.
std::vector<std::string> load_pretrained_weights(const std::string& path, EmbeddingModel& model);
// ψ: the backbone only; its projection head starts afresh.
std::vector<std::string> load_pretrained_weights(const std::string& path, SimclrModel& model);

}  // namespace fct::models
