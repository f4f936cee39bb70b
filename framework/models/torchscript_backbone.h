// A backbone from PyTorch: a TorchScript module (`torch.jit.save`) that maps images to embeddings,
// used as it is (never trained: fct trains its own backbones, and a state dict brings PyTorch
// weights into those).
//
// fct hands every backbone images as its datasets make them: normalised with the dataset's
// statistics, at the dataset's size. The module may expect another size and normalisation (the
// YAML states them); the wrapper turns one into the other before calling it, so every path that
// embeds images — stores, the feature cache, BCT's class means — works unchanged. The module's
// bytes travel inside fct's model file (save/load), so a model file needs nothing beside it.
#pragma once

#include <torch/script.h>
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fct::models {

// What the module expects: square images of side `size` (0 = as given), normalised per channel
// with mean/std (empty = as given, i.e. the dataset's normalisation).
struct TorchScriptInput {
  int64_t size = 0;
  std::vector<double> mean;
  std::vector<double> std;
};

class TorchScriptBackboneImpl : public torch::nn::Module {
 public:
  // An empty backbone that load() fills from a model file.
  TorchScriptBackboneImpl() = default;
  // Reads `path`; throws fct::Error naming it when it is not a TorchScript file.
  TorchScriptBackboneImpl(const std::string& path, TorchScriptInput input);

  // The normalisation of the images fct hands in (the dataset's); needed when the module's own
  // differs. Saved with the model.
  void set_source_normalization(const std::vector<double>& mean, const std::vector<double>& std);

  torch::Tensor forward(torch::Tensor images);

  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  void to(torch::Device device, torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Dtype dtype, bool non_blocking = false) override;
  void to(torch::Device device, bool non_blocking = false) override;
  // The module stays in evaluation mode (BatchNorm's running statistics, no dropout): it is used
  // as given, also while a model beside it trains.
  void train(bool on = true) override;

  const TorchScriptInput& input() const { return input_; }

 private:
  void adopt(const std::string& bytes, const std::string& origin);
  torch::Tensor adapt(torch::Tensor images) const;

  std::string bytes_;  // the TorchScript file as read
  std::optional<torch::jit::Module> module_;
  TorchScriptInput input_;
  std::vector<double> source_mean_, source_std_;
  torch::Device device_ = torch::kCPU;
};
TORCH_MODULE(TorchScriptBackbone);

}  // namespace fct::models
