// State dict files between fct and Python's PyTorch (Debian's python3-torch, the release of the
// LibTorch fct links): what torch.save(module.state_dict()) writes — an OrderedDict with
// _metadata, int64 buffers, views into shared storages — is read; what fct writes, torch.load
// reads; wrong shapes, missing keys, other files and pickles that call anything else are refused
// naming the file and the key.
#include "framework/models/state_dict_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "framework/core/error.h"
#include "framework/models/resnet.h"
#include "tests/test_support.h"

namespace fct::models {
namespace {

using fct::testing::run_command;
using fct::testing::ScratchDir;

const std::string kPython = "/usr/bin/python3";

std::string python_torch_missing() {
  if (run_command({kPython, "-c", "import torch"}, 120).exit_code != 0)
    return kPython + " has no torch (Debian: python3-torch)";
  return "";
}

// Runs a Python snippet; fails the test with its output if it fails.
std::string python(const std::string& code) {
  const auto result = run_command({kPython, "-c", code}, 300);
  EXPECT_EQ(result.exit_code, 0) << code << "\n" << result.output;
  return result.output;
}

ResNet small_resnet() {
  ResNetOptions o;
  o.depth = 10;
  o.width = 4;
  o.small_input = true;
  o.in_channels = 1;
  o.embedding_dim = 8;
  return ResNet(o);
}

std::string expect_error(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected fct::Error";
  return "";
}

TEST(StateDictFile, ReadsWhatTorchSaveWritesForAModulesStateDict) {
  const std::string missing = python_torch_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-state-dict");
  const std::string path = dir.file("sequential.pt");
  python(
      "import torch\n"
      "torch.manual_seed(0)\n"
      "m = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))\n"
      "m.train(); m(torch.randn(4, 1, 5, 5))\n"  // running statistics and num_batches_tracked
      "sd = m.state_dict()\n"
      "assert type(sd).__name__ == 'OrderedDict' and hasattr(sd, '_metadata')\n"
      "torch.save(sd, '" +
      path +
      "')\n"
      "torch.save({k: v.double() for k, v in sd.items() if v.is_floating_point()}, '" +
      path + ".double')\n");
  const auto entries = read_state_dict_file(path);
  std::vector<std::string> keys;
  for (const auto& [key, tensor] : entries) keys.push_back(key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                      "1.running_var", "1.num_batches_tracked"}));
  EXPECT_EQ(entries[0].second.sizes(), (std::vector<int64_t>{2, 1, 3, 3}));
  EXPECT_EQ(entries[6].second.dtype(), torch::kInt64);
  EXPECT_EQ(entries[6].second.item<int64_t>(), 1);
  // The values, to the bit, against Python's own conversion of the doubles.
  const auto doubles = read_state_dict_file(path + ".double");
  ASSERT_EQ(doubles.size(), 6u);
  for (std::size_t i = 0; i < doubles.size(); ++i) {
    EXPECT_EQ(doubles[i].first, entries[i].first);
    EXPECT_EQ(doubles[i].second.dtype(), torch::kFloat64);
    EXPECT_TRUE(torch::equal(doubles[i].second.to(torch::kFloat32), entries[i].second))
        << entries[i].first;
  }
}

TEST(StateDictFile, AResNetRoundTripsThroughPythonByName) {
  const std::string missing = python_torch_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-state-dict");
  torch::manual_seed(1);
  ResNet source = small_resnet();
  write_state_dict_file(dir.file("fct.pt"), *source);
  // Python reads fct's file as a dict, doubles every floating tensor and saves the state dict
  // the way training code does (an OrderedDict, with slices of one storage as separate keys).
  python(
      "import collections, torch\n"
      "sd = torch.load('" +
      dir.file("fct.pt") +
      "')\n"
      "assert isinstance(sd, dict) and 'conv1.weight' in sd and 'layer1.0.bn1.running_var' in sd\n"
      "out = collections.OrderedDict((k, v * 2 if v.is_floating_point() else v) "
      "for k, v in sd.items())\n"
      "out._metadata = collections.OrderedDict([('', {'version': 1})])\n"
      "big = torch.cat([out['conv1.weight'].flatten(), torch.zeros(3)])\n"
      "out['conv1.weight'] = big[:out['conv1.weight'].numel()].view_as(out['conv1.weight'])\n"
      "out['unused.extra'] = big[-3:]\n"  // same storage, another offset
      "torch.save(out, '" +
      dir.file("python.pt") + "')\n");
  torch::manual_seed(2);
  ResNet target = small_resnet();
  const auto unused = load_state_dict_file(dir.file("python.pt"), *target);
  EXPECT_EQ(unused, (std::vector<std::string>{"unused.extra"}));
  const auto expected = source->named_parameters(true);
  for (const auto& item : target->named_parameters(true))
    EXPECT_TRUE(torch::equal(item.value(), expected[item.key()] * 2)) << item.key();
  const auto buffers = source->named_buffers(true);
  for (const auto& item : target->named_buffers(true)) {
    const auto& before = buffers[item.key()];
    EXPECT_TRUE(torch::equal(item.value(), before.is_floating_point() ? before * 2 : before))
        << item.key();
  }
}

// What fct writes (LibTorch's pickler tags the dict with its type) fct reads back, so that
// `fct export --state-dict` output can start or be imported as another fct model.
TEST(StateDictFile, ReadsWhatItWrites) {
  ScratchDir dir("fct-state-dict");
  torch::manual_seed(2);
  ResNet model = small_resnet();
  write_state_dict_file(dir.file("fct.pt"), *model);
  const auto entries = read_state_dict_file(dir.file("fct.pt"));
  std::map<std::string, torch::Tensor> expected;
  for (const auto& item : model->named_parameters()) expected[item.key()] = item.value();
  for (const auto& item : model->named_buffers()) expected[item.key()] = item.value();
  ASSERT_EQ(entries.size(), expected.size());
  for (const auto& [key, tensor] : entries) {
    ASSERT_TRUE(expected.count(key)) << key;
    EXPECT_TRUE(tensor.equal(expected[key])) << key;
  }
  ResNet other = small_resnet();
  EXPECT_TRUE(load_state_dict_file(dir.file("fct.pt"), *other).empty());
  for (const auto& item : other->named_parameters())
    EXPECT_TRUE(item.value().equal(expected[item.key()])) << item.key();
}

TEST(StateDictFile, AMissingKeyOrAnotherShapeIsRefusedNamingTheKey) {
  const std::string missing = python_torch_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-state-dict");
  ResNet model = small_resnet();
  write_state_dict_file(dir.file("fct.pt"), *model);
  python(
      "import torch\n"
      "sd = torch.load('" +
      dir.file("fct.pt") +
      "')\n"
      "del sd['layer2.0.bn2.running_mean']\n"
      "torch.save(sd, '" +
      dir.file("missing.pt") +
      "')\n"
      "sd = torch.load('" +
      dir.file("fct.pt") +
      "')\n"
      "sd['conv1.weight'] = torch.zeros(5, 1, 3, 3)\n"
      "torch.save(sd, '" +
      dir.file("shape.pt") + "')\n");
  std::string message = expect_error([&] { load_state_dict_file(dir.file("missing.pt"), *model); });
  EXPECT_NE(message.find(dir.file("missing.pt")), std::string::npos) << message;
  EXPECT_NE(message.find("layer2.0.bn2.running_mean"), std::string::npos) << message;
  message = expect_error([&] { load_state_dict_file(dir.file("shape.pt"), *model); });
  EXPECT_NE(message.find("conv1.weight has shape [5, 1, 3, 3], the model's is [4, 1, 3, 3]"),
            std::string::npos)
      << message;
}

TEST(StateDictFile, APickleThatCallsAnythingElseIsNotRun) {
  const std::string missing = python_torch_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-state-dict");
  const std::string marker = dir.file("ran");
  python(
      "import os, torch\n"
      "class Payload:\n"
      "    def __reduce__(self):\n"
      "        return (os.mkdir, ('" +
      marker +
      "',))\n"
      "torch.save({'w': torch.ones(2), 'p': Payload()}, '" +
      dir.file("evil.pt") + "')\n");
  const std::string message = expect_error([&] { read_state_dict_file(dir.file("evil.pt")); });
  EXPECT_NE(message.find("posix.mkdir"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(StateDictFile, FilesThatAreNotStateDictsAreRefusedNamingThem) {
  ScratchDir dir("fct-state-dict");
  std::string message = expect_error([&] { read_state_dict_file(dir.file("absent.pt")); });
  EXPECT_NE(message.find(dir.file("absent.pt") + ": no such file"), std::string::npos) << message;
  fct::testing::write_text_file(dir.file("text.pt"), "conv1.weight 1 2 3\n");
  message = expect_error([&] { read_state_dict_file(dir.file("text.pt")); });
  EXPECT_NE(message.find("not a PyTorch zip archive"), std::string::npos) << message;
  // A LibTorch archive of a tensor list is a zip with data.pkl, but not a dict.
  const auto bytes = torch::pickle_save(c10::IValue(std::vector<torch::Tensor>{torch::ones(2)}));
  fct::testing::write_text_file(dir.file("list.pt"), std::string(bytes.begin(), bytes.end()));
  message = expect_error([&] { read_state_dict_file(dir.file("list.pt")); });
  EXPECT_NE(message.find(dir.file("list.pt")), std::string::npos) << message;
}

TEST(StateDictFile, ACutFileIsRefusedNotCrashedOn) {
  ScratchDir dir("fct-state-dict");
  ResNet model = small_resnet();
  write_state_dict_file(dir.file("fct.pt"), *model);
  const std::string whole = fct::testing::read_text_file(dir.file("fct.pt"));
  for (const double fraction : {0.1, 0.5, 0.9, 0.99}) {
    const std::string cut = dir.file("cut.pt");
    fct::testing::write_text_file(
        cut, whole.substr(0, static_cast<std::size_t>(whole.size() * fraction)));
    const std::string message = expect_error([&] { read_state_dict_file(cut); });
    EXPECT_NE(message.find(cut), std::string::npos) << fraction << ": " << message;
  }
}

// A state dict with one flipped bit in a weight (a download gone wrong) is refused naming the
// file, where LibTorch's reader alone returns the changed weight.
TEST(StateDictFileFault, AFlippedBitInAWeightIsRefusedNamingTheFile) {
  ScratchDir dir("fct-state-dict");
  ResNet model = small_resnet();
  {
    torch::NoGradGuard no_grad;
    model->parameters()[0].fill_(0.625f);
  }
  write_state_dict_file(dir.file("fct.pt"), *model);
  std::string bytes = fct::testing::read_text_file(dir.file("fct.pt"));
  const float value = 0.625f;
  const auto at = bytes.find(std::string(reinterpret_cast<const char*>(&value), sizeof value));
  ASSERT_NE(at, std::string::npos);
  bytes[at] ^= 0x01;
  fct::testing::write_text_file(dir.file("fct.pt"), bytes);
  const std::string message = expect_error([&] { read_state_dict_file(dir.file("fct.pt")); });
  EXPECT_NE(message.find(dir.file("fct.pt")), std::string::npos) << message;
  EXPECT_NE(message.find("fails its CRC-32 check"), std::string::npos) << message;
}

}  // namespace
}  // namespace fct::models
