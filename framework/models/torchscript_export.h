// fct's ResNets as TorchScript modules that Python's `torch.jit.load` runs without fct. The module
// holds the backbone's weights and a forward written in TorchScript from the backbone's structure
// (the same convolutions, batch norms and head as ResNetImpl::forward), preceded by the model's
// evaluation transform, so it takes what a user has: pixel values in [0, 1].
#pragma once

#include <torch/script.h>

#include <cstdint>
#include <string>
#include <vector>

#include "framework/models/resnet.h"

namespace fct::models {

// The evaluation transform the module applies first: for photographs (image_size > 0) the centre
// crop of crop_fraction of the shorter side resized bilinearly to image_size (fct's decoder path
// resamples from the file, so those embeddings agree closely, not exactly); then per-channel
// normalisation.
struct ExportTransform {
  std::vector<double> mean;
  std::vector<double> std;
  int64_t image_size = 0;  // 0: the images are used at their own size (Fashion-MNIST)
  double crop_fraction = 1.0;
};

// A module whose forward maps float [N, C, H, W] in [0, 1] to embeddings [N, d]. Throws fct::Error
// for a backbone it cannot write.
torch::jit::Module export_torchscript(ResNetImpl& backbone, const ExportTransform& transform);

// The TorchScript source of that forward (for messages and tests).
std::string torchscript_forward_source(ResNetImpl& backbone, const ExportTransform& transform);

}  // namespace fct::models
