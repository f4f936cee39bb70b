#include "framework/models/torchscript_export.h"

#include <fmt/format.h>

#include <map>

#include "framework/core/error.h"

namespace fct::models {
namespace {

namespace nn = torch::nn;

// A state-dict name as a TorchScript attribute ("layer1.0.conv1.weight" ->
// "layer1_0_conv1_weight").
std::string attribute(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (c == '.') c = '_';
  return out;
}

// Writes TorchScript statements for the backbone's modules by their names in the backbone.
class ForwardWriter {
 public:
  explicit ForwardWriter(ResNetImpl& backbone) {
    for (const auto& item : backbone.named_modules("", /*include_self=*/false)) {
      if (auto* conv = item.value()->as<nn::Conv2d>()) convs_[item.key()] = conv;
      if (auto* bn = item.value()->as<nn::BatchNorm2d>()) norms_[item.key()] = bn;
    }
  }

  bool has(const std::string& name) const { return convs_.count(name) > 0; }

  std::string conv(const std::string& out, const std::string& in, const std::string& name) const {
    const auto it = convs_.find(name);
    if (it == convs_.end()) throw Error("TorchScript export: the backbone has no " + name);
    const auto& o = it->second->options;
    const auto stride = o.stride();
    const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
    if (!padding || o.bias() || (*o.dilation())[0] != 1 || o.groups() != 1)
      throw Error("TorchScript export: " + name + " is not a plain convolution");
    return fmt::format("    {} = torch.conv2d({}, self.{}, None, [{}, {}], [{}, {}])\n", out, in,
                       attribute(name + ".weight"), (*stride)[0], (*stride)[1], (**padding)[0],
                       (**padding)[1]);
  }

  std::string norm(const std::string& out, const std::string& in, const std::string& name) const {
    const auto it = norms_.find(name);
    if (it == norms_.end()) throw Error("TorchScript export: the backbone has no " + name);
    const std::string p = attribute(name);
    return fmt::format(
        "    {0} = torch.batch_norm({1}, self.{2}_weight, self.{2}_bias, self.{2}_running_mean, "
        "self.{2}_running_var, False, 0.0, {3}, False)\n",
        out, in, p, it->second->options.eps());
  }

 private:
  std::map<std::string, nn::Conv2dImpl*> convs_;
  std::map<std::string, nn::BatchNorm2dImpl*> norms_;
};

}  // namespace

std::string torchscript_forward_source(ResNetImpl& backbone, const ExportTransform& transform) {
  const ForwardWriter w(backbone);
  std::string s = "def forward(self, images: Tensor) -> Tensor:\n";
  s += "    x = images\n";
  if (transform.image_size > 0) {
    s += fmt::format(
        "    side = int(float(min(x.size(2), x.size(3))) * {0:.17g} + 0.5)\n"
        "    top = (x.size(2) - side) // 2\n"
        "    left = (x.size(3) - side) // 2\n"
        "    x = x[:, :, top:top + side, left:left + side]\n"
        "    x = torch.upsample_bilinear2d(x, [{1}, {1}], False, None, None)\n",
        transform.crop_fraction, transform.image_size);
  }
  s += "    x = (x - self.input_mean) / self.input_std\n";
  s += w.conv("x", "x", "conv1") + w.norm("x", "x", "bn1") + "    x = torch.relu(x)\n";
  if (!backbone.options().small_input) s += "    x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1])\n";
  for (int stage = 1; stage <= 4; ++stage) {
    for (int block = 0;; ++block) {
      const std::string b = fmt::format("layer{}.{}.", stage, block);
      if (!w.has(b + "conv1")) break;
      s += w.has(b + "downsample.0") ? w.conv("identity", "x", b + "downsample.0") +
                                           w.norm("identity", "identity", b + "downsample.1")
                                     : "    identity = x\n";
      s += w.conv("out", "x", b + "conv1") + w.norm("out", "out", b + "bn1") +
           "    out = torch.relu(out)\n";
      s += w.conv("out", "out", b + "conv2") + w.norm("out", "out", b + "bn2");
      if (w.has(b + "conv3"))
        s += "    out = torch.relu(out)\n" + w.conv("out", "out", b + "conv3") +
             w.norm("out", "out", b + "bn3");
      s += "    x = torch.relu(out + identity)\n";
    }
  }
  s += "    x = x.mean([2, 3])\n";
  if (backbone.options().head == config::EmbeddingHead::kLinear)
    s += "    x = torch.linear(x, self.projection_weight, self.projection_bias)\n";
  return s + "    return x\n";
}

torch::jit::Module export_torchscript(ResNetImpl& backbone, const ExportTransform& transform) {
  const auto channels = backbone.options().in_channels;
  if (static_cast<int64_t>(transform.mean.size()) != channels ||
      static_cast<int64_t>(transform.std.size()) != channels)
    throw Error("TorchScript export: the normalisation has " +
                std::to_string(transform.mean.size()) + " means and " +
                std::to_string(transform.std.size()) + " deviations for " +
                std::to_string(channels) + " input channels");
  torch::jit::Module module("FctEmbedding");
  torch::NoGradGuard no_grad;
  for (const auto& item : backbone.named_parameters(true))
    module.register_parameter(attribute(item.key()), item.value().detach().clone(),
                              /*is_buffer=*/false);
  for (const auto& item : backbone.named_buffers(true))
    module.register_buffer(attribute(item.key()), item.value().detach().clone());
  const auto per_channel = [&](const std::vector<double>& values) {
    return torch::tensor(values, torch::kFloat32).view({1, channels, 1, 1});
  };
  module.register_buffer("input_mean", per_channel(transform.mean));
  module.register_buffer("input_std", per_channel(transform.std));
  module.define(torchscript_forward_source(backbone, transform));
  module.eval();
  return module;
}

}  // namespace fct::models
