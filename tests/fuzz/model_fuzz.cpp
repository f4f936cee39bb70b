// Model files (fct's own: embedding, side-information and transformation models), checkpoints and
// PyTorch state dicts, damaged or foreign (Note [Fuzz targets]).
#include <torch/torch.h>

#include "framework/models/model_file.h"
#include "framework/models/state_dict_file.h"
#include "framework/train/checkpoint.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fct::fuzz {
namespace {

// The shapes of the checkpoint seeds (tests/fuzz/make_seeds.cpp writes them with this model).
torch::nn::Sequential checkpoint_model() {
  return torch::nn::Sequential(torch::nn::Linear(4, 8), torch::nn::BatchNorm1d(8),
                               torch::nn::ReLU(), torch::nn::Linear(8, 3));
}

void load_model_file(const std::string& path) {
  const auto info = models::read_model_info(path);
  if (info.kind == models::kEmbeddingKind)
    models::load_embedding_model(path);
  else if (info.kind == models::kSideInfoKind)
    models::load_side_info_model(path);
  else if (info.kind == models::kTransformationKind)
    models::load_transformation(path);
}

}  // namespace

// Input: a byte choosing what the file is read as (a model file or a checkpoint), then the file.
int fuzz_model_file(const uint8_t* data, std::size_t size) {
  static const ScratchDirectory scratch("fct-fuzz-model");
  InputBytes input(data, size);
  const bool checkpoint = input.byte() & 1;
  const std::string path =
      scratch.write(checkpoint ? "checkpoint.pt" : "model.pt", input.rest(), input.rest_size());
  try {
    if (checkpoint) {
      auto model = checkpoint_model();
      torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
      train::load_checkpoint(path, *model, optimizer);
    } else {
      load_model_file(path);
    }
  } catch (const Error& e) {
    require_named(e, path);
  }
  return 0;
}

int fuzz_state_dict(const uint8_t* data, std::size_t size) {
  static const ScratchDirectory scratch("fct-fuzz-state-dict");
  const std::string path = scratch.write("resnet.pth", data, size);
  try {
    models::read_state_dict_file(path);
  } catch (const Error& e) {
    require_named(e, path);
  }
  return 0;
}

}  // namespace fct::fuzz
