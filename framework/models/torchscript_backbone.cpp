#include "framework/models/torchscript_backbone.h"

#include <fstream>
#include <iterator>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/zip_integrity.h"

namespace fct::models {
namespace {

torch::Tensor bytes_tensor(const std::string& bytes) {
  auto tensor = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(tensor.data_ptr<uint8_t>()));
  return tensor;
}

std::string tensor_bytes(const torch::Tensor& tensor) {
  const auto contiguous = tensor.to(torch::kCPU, torch::kUInt8).contiguous();
  const char* data = reinterpret_cast<const char*>(contiguous.data_ptr<uint8_t>());
  return std::string(data, data + contiguous.numel());
}

torch::Tensor doubles(const std::vector<double>& values) {
  return torch::tensor(values.empty() ? std::vector<double>{} : values, torch::kFloat64);
}

std::vector<double> doubles_of(const torch::Tensor& tensor) {
  const auto t = tensor.to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

torch::Tensor read_tensor(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor tensor;
  if (!archive.try_read(key, tensor))
    throw Error("TorchScript backbone: the model file has no '" + key + "'");
  return tensor;
}

std::string channels_text(int64_t channels) {
  return std::to_string(channels) + " channel" + (channels == 1 ? "" : "s");
}

}  // namespace

TorchScriptBackboneImpl::TorchScriptBackboneImpl(const std::string& path, TorchScriptInput input)
    : input_(std::move(input)) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("TorchScript file " + path + " cannot be opened");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  adopt(bytes, path);
}

void TorchScriptBackboneImpl::adopt(const std::string& bytes, const std::string& origin) {
  try {
    verify_zip_bytes(bytes, origin);  // Note [Damaged archives]
  } catch (const DataError& e) {
    throw Error(origin + " is not a TorchScript module (torch.jit.save writes one): " + e.what());
  }
  try {
    std::istringstream stream(bytes);
    module_ = torch::jit::load(stream, device_);
  } catch (const std::exception& e) {
    // LibTorch's message starts with a C++ backtrace on some errors; its first line says enough.
    std::string what = e.what();
    what = what.substr(0, what.find('\n'));
    throw Error(origin + " is not a TorchScript module (torch.jit.save writes one): " + what);
  }
  bytes_ = bytes;
  module_->eval();
  for (const auto& parameter : module_->parameters()) parameter.requires_grad_(false);
}

void TorchScriptBackboneImpl::set_source_normalization(const std::vector<double>& mean,
                                                       const std::vector<double>& std) {
  source_mean_ = mean;
  source_std_ = std;
}

torch::Tensor TorchScriptBackboneImpl::adapt(torch::Tensor images) const {
  const int64_t channels = images.size(1);
  if (!input_.mean.empty()) {
    if (static_cast<int64_t>(input_.mean.size()) != channels)
      throw Error("TorchScript backbone: input_mean has " + std::to_string(input_.mean.size()) +
                  " values but the images have " + channels_text(channels));
    if (static_cast<int64_t>(source_mean_.size()) != channels)
      throw Error("TorchScript backbone: the dataset's normalisation (" +
                  std::to_string(source_mean_.size()) + " values) does not fit images with " +
                  channels_text(channels));
    // x = (raw - m_source) / s_source, and the module wants (raw - m) / s: one affine map per
    // channel.
    std::vector<double> scale(static_cast<std::size_t>(channels)), offset(scale.size());
    for (int64_t c = 0; c < channels; ++c) {
      scale[c] = source_std_[c] / input_.std[c];
      offset[c] = (source_mean_[c] - input_.mean[c]) / input_.std[c];
    }
    const auto shape = std::vector<int64_t>{1, channels, 1, 1};
    images = images * torch::tensor(scale, torch::kFloat64).view(shape).to(images.options()) +
             torch::tensor(offset, torch::kFloat64).view(shape).to(images.options());
  }
  if (input_.size > 0 && (images.size(2) != input_.size || images.size(3) != input_.size)) {
    images = torch::nn::functional::interpolate(
        images, torch::nn::functional::InterpolateFuncOptions()
                    .size(std::vector<int64_t>{input_.size, input_.size})
                    .mode(torch::kBilinear)
                    .align_corners(false));
  }
  return images;
}

torch::Tensor TorchScriptBackboneImpl::forward(torch::Tensor images) {
  if (!module_) throw Error("TorchScript backbone used before its module was loaded");
  if (images.dim() != 4)
    throw Error("TorchScript backbone: images must be [N, C, H, W], got " +
                std::to_string(images.dim()) + " dimensions");
  auto output = module_->forward({adapt(std::move(images))});
  if (!output.isTensor())
    throw Error("the TorchScript module returned a " + output.tagKind() +
                ", fct needs a tensor of embeddings [N, d]");
  return output.toTensor();
}

void TorchScriptBackboneImpl::save(torch::serialize::OutputArchive& archive) const {
  archive.write("torchscript", bytes_tensor(bytes_));
  archive.write("input_size", torch::tensor(input_.size));
  archive.write("input_mean", doubles(input_.mean));
  archive.write("input_std", doubles(input_.std));
  archive.write("source_mean", doubles(source_mean_));
  archive.write("source_std", doubles(source_std_));
}

void TorchScriptBackboneImpl::load(torch::serialize::InputArchive& archive) {
  input_.size = read_tensor(archive, "input_size").item<int64_t>();
  input_.mean = doubles_of(read_tensor(archive, "input_mean"));
  input_.std = doubles_of(read_tensor(archive, "input_std"));
  source_mean_ = doubles_of(read_tensor(archive, "source_mean"));
  source_std_ = doubles_of(read_tensor(archive, "source_std"));
  adopt(tensor_bytes(read_tensor(archive, "torchscript")), "the model file's TorchScript module");
}

void TorchScriptBackboneImpl::to(torch::Device device, torch::Dtype dtype, bool non_blocking) {
  torch::nn::Module::to(device, dtype, non_blocking);
  device_ = device;
  if (module_) module_->to(device, dtype, non_blocking);
}

void TorchScriptBackboneImpl::to(torch::Dtype dtype, bool non_blocking) {
  torch::nn::Module::to(dtype, non_blocking);
  if (module_) module_->to(dtype, non_blocking);
}

void TorchScriptBackboneImpl::to(torch::Device device, bool non_blocking) {
  torch::nn::Module::to(device, non_blocking);
  device_ = device;
  if (module_) module_->to(device, non_blocking);
}

void TorchScriptBackboneImpl::train(bool /*on*/) {
  torch::nn::Module::train(false);
  if (module_) module_->eval();
}

}  // namespace fct::models
