// Models between fct and Python's PyTorch (Debian's python3-torch, the release of the LibTorch fct
// links), through the commands: a small ResNet trained in Python, saved as TorchScript and as a
// state dict, embeds the same through `fct model import` + `fct embed` as in Python; what
// `fct export` writes runs in Python without fct and gives what `fct embed` stores; a study whose
// old model and ψ are TorchScript files and whose new model starts from a state dict runs end to
// end; wrong files, shapes and dimensions are refused naming what is wrong.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/cli/cli_test_support.h"

namespace fct::testing {
namespace {

const std::string kPython = "/usr/bin/python3";
const std::string kFashionMnist = "/usr/share/datasets/fashion-mnist";
constexpr int kImages = 200;
// float32 through a small ResNet on two machines' kernels: rounding, not a different model.
constexpr double kTolerance = 1e-5;

std::string python_missing() {
  if (run_command({kPython, "-c", "import torch, h5py, numpy"}, 120).exit_code != 0)
    return kPython + " lacks torch, h5py or numpy (Debian: python3-torch python3-h5py)";
  return "";
}

std::string script() {
  return source_directory() + "/tests/models/pytorch_models.py";
}

CommandResult python(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kPython, script()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, 600);
}

// The Python model of the tests: model.ts, model.pth, expected_ts.pt, expected_sd.pt in `dir`.
void make_python_model(const std::string& dir) {
  const auto made = python(
      {"make", source_directory() + "/docs/python", kFashionMnist, dir, std::to_string(kImages)});
  ASSERT_EQ(made.exit_code, 0) << made.output;
}

// max |store - expected| as the comparison script prints it (and the test log records).
double max_abs_diff(const std::string& expected, const std::string& store) {
  const auto compared = python({"compare", expected, store});
  EXPECT_EQ(compared.exit_code, 0) << compared.output;
  std::smatch match;
  const std::regex pattern("max_abs_diff=([0-9.e+-]+)");
  if (!std::regex_search(compared.output, match, pattern)) {
    ADD_FAILURE() << compared.output;
    return 1e9;
  }
  std::cout << "  " << std::filesystem::path(expected).filename().string() << " vs "
            << std::filesystem::path(store).filename().string() << ": " << compared.output;
  return std::stod(match[1]);
}

CommandResult embed(const std::string& model, const std::string& store) {
  return run_fct(2,
                 {"embed", "--model", model, "--split", "test", "--limit", std::to_string(kImages),
                  "--out", store, "--no-progress"},
                 300);
}

const std::vector<std::string> kTorchScriptSettings = {"arch=torchscript", "embedding_dim=16",
                                                       "input_mean=[0.5]", "input_std=[0.5]"};

std::vector<std::string> import_args(const std::vector<std::string>& settings,
                                     const std::string& out) {
  std::vector<std::string> args = {"model", "import"};
  args.insert(args.end(), settings.begin(), settings.end());
  args.insert(args.end(), {"--out", out});
  return args;
}

TEST(PyTorchModels, TorchScriptAndStateDictEmbedAsInPythonAndExportRoundTrips) {
  const std::string missing = python_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-pytorch-models");
  make_python_model(dir.path());

  // A TorchScript module that expects its own normalisation (0.5, 0.5).
  auto settings = kTorchScriptSettings;
  settings.push_back("path=" + dir.file("model.ts"));
  const auto imported = run_fct(1, import_args(settings, dir.file("ts.pt")), 300);
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  const auto ts_embedded = embed(dir.file("ts.pt"), dir.file("ts.h5"));
  ASSERT_EQ(ts_embedded.exit_code, 0) << ts_embedded.output;
  EXPECT_LE(max_abs_diff(dir.file("expected_ts.pt"), dir.file("ts.h5")), kTolerance);

  // The same weights as a state dict in fct's own ResNet, fed the dataset's normalisation.
  const auto sd_imported =
      run_fct(1,
              import_args({"arch=resnet10_small", "width=8", "embedding_dim=16",
                           "weights=" + dir.file("model.pth")},
                          dir.file("sd.pt")),
              300);
  ASSERT_EQ(sd_imported.exit_code, 0) << sd_imported.output;
  const auto sd_embedded = embed(dir.file("sd.pt"), dir.file("sd.h5"));
  ASSERT_EQ(sd_embedded.exit_code, 0) << sd_embedded.output;
  EXPECT_LE(max_abs_diff(dir.file("expected_sd.pt"), dir.file("sd.h5")), kTolerance);

  // Back to Python: the exported module takes pixels in [0, 1] and applies fct's normalisation.
  const auto exported = run_fct(1,
                                {"export", "--model", dir.file("sd.pt"), "--out",
                                 dir.file("exported.ts"), "--state-dict", dir.file("exported.pth")},
                                300);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const auto ran = python({"run_exported", dir.file("exported.ts"), kFashionMnist,
                           std::to_string(kImages), dir.file("exported_out.pt")});
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_LE(max_abs_diff(dir.file("exported_out.pt"), dir.file("sd.h5")), kTolerance);
  // The exported state dict is the Python model's, key for key (the classifier too: the import
  // kept it, one row per class).
  const auto same =
      run_command({kPython, "-c",
                   "import sys, torch\n"
                   "sys.path.insert(0, '" +
                       source_directory() +
                       "/docs/python')\n"
                       "from fct_resnet import FctEmbeddingModel\n"
                       "m = FctEmbeddingModel(num_classes=10, depth=10, width=8, small_input=True, "
                       "in_channels=1, embedding_dim=16)\n"
                       "m.load_state_dict(torch.load('" +
                       dir.file("exported.pth") +
                       "'))\n"
                       "a, b = torch.load('" +
                       dir.file("model.pth") +
                       "'), m.state_dict()\n"
                       "assert list(a) == list(b), (list(a), list(b))\n"
                       "assert all(torch.equal(a[k], b[k]) for k in a)\n"
                       "print('state dicts equal')\n"},
                  120);
  EXPECT_EQ(same.exit_code, 0) << same.output;
}

TEST(PyTorchModels, WrongFilesShapesAndDimensionsAreRefusedNamingThem) {
  const std::string missing = python_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-pytorch-refused");
  make_python_model(dir.path());
  const auto refused = [&](const std::vector<std::string>& settings) {
    const auto result = run_fct(1, import_args(settings, dir.file("out.pt")), 300);
    EXPECT_NE(result.exit_code, 0) << result.output;
    EXPECT_FALSE(std::filesystem::exists(dir.file("out.pt")));
    return result.output;
  };
  // A state dict of another width: the first key whose shape differs, both shapes.
  EXPECT_NE(refused({"arch=resnet10_small", "width=4", "embedding_dim=16",
                     "weights=" + dir.file("model.pth")})
                .find("conv1.weight has shape [8, 1, 3, 3], the model's is [4, 1, 3, 3]"),
            std::string::npos);
  // A deeper ResNet than the file holds: the missing key.
  EXPECT_NE(refused({"arch=resnet18_small", "width=8", "embedding_dim=16",
                     "weights=" + dir.file("model.pth")})
                .find("has no layer1.1.conv1.weight"),
            std::string::npos);
  // A state dict where a TorchScript module belongs.
  auto settings = kTorchScriptSettings;
  settings.push_back("path=" + dir.file("model.pth"));
  EXPECT_NE(refused(settings).find(dir.file("model.pth") + " is not a TorchScript module"),
            std::string::npos);
  // The YAML's embedding dimension against the module's.
  settings = {"arch=torchscript", "embedding_dim=32", "path=" + dir.file("model.ts")};
  EXPECT_NE(refused(settings).find("to [1, 16]; the config says embeddings of 32"),
            std::string::npos);
  // A TorchScript arch without its file, and a file that is not there.
  EXPECT_NE(refused({"arch=torchscript", "embedding_dim=16"}).find("arch torchscript needs 'path'"),
            std::string::npos);
  EXPECT_NE(refused({"arch=resnet10_small", "weights=" + dir.file("absent.pth")})
                .find(dir.file("absent.pth")),
            std::string::npos);
}

std::string study_yaml(const std::string& dir) {
  const std::string torchscript = "{arch: torchscript, path: " + dir +
                                  "/model.ts, embedding_dim: 16, input_mean: [0.5], "
                                  "input_std: [0.5]}";
  const std::string schedule =
      "{epochs: 1, warmup_epochs: 0.2, batch_size: 32, eval_batch_size: 128}";
  const std::string sgd = "{name: sgd, lr: 0.05, momentum: 0.9}";
  const std::string trained = "{arch: resnet10_small, width: 8, embedding_dim: 16}";
  return "name: pytorch_study\nseed: 1\noutput_dir: " + dir +
         "/run\n"
         "data: {name: fashion_mnist, limit: 600}\n"
         "old: {classes: [0, 1, 2], model: " +
         torchscript +
         "}\n"
         "side_info: {model: " +
         torchscript +
         "}\n"
         // The new model starts from the Python weights and trains on.
         "new: {model: {arch: resnet10_small, width: 8, embedding_dim: 16, weights: " +
         dir + "/model.pth}, optimizer: " + sgd + ", schedule: " + schedule +
         "}\n"
         "bct: {model: " +
         trained + ", optimizer: " + sgd + ", schedule: " + schedule +
         "}\n"
         "bct_loss: {influence_weight: 1.0, prototype_samples: 20}\n"
         "transformation:\n"
         "  transformation: {inner_width: 32, feed: cached, cached_views: 2}\n"
         "  optimizer: {name: adam, lr: 0.001, weight_decay: 0.0}\n"
         "  schedule: {epochs: 2, warmup_epochs: 0.5, batch_size: 64}\n";
}

TEST(PyTorchModels, AStudyWhoseOldModelIsAPythonTorchScriptFileRunsEndToEnd) {
  const std::string missing = python_missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  ScratchDir dir("fct-pytorch-study");
  make_python_model(dir.path());
  write_text_file(dir.file("study.yaml"), study_yaml(dir.path()));
  const auto ran = run_fct(2, {"run", dir.file("study.yaml"), "--no-progress"}, 900);
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  EXPECT_NE(ran.output.find("imported from " + dir.file("model.ts")), std::string::npos)
      << ran.output;
  EXPECT_NE(ran.output.find("starts from the state dict " + dir.file("model.pth")),
            std::string::npos)
      << ran.output;
  EXPECT_NE(ran.output.find("BCT: old classifier covers 0 of"), std::string::npos) << ran.output;
  const auto results = nlohmann::json::parse(read_text_file(dir.file("run/results.json")));
  std::vector<std::string> cases;
  for (const auto& row : results) cases.push_back(row["case"].get<std::string>());
  EXPECT_EQ(cases, (std::vector<std::string>{"old/old", "new/new", "new/old", "bct/old", "bct/bct",
                                             "new/fct", "new/fct+si"}));
  // The old gallery was embedded by the Python module: its store names the imported model file,
  // which records the TorchScript file and its hash.
  const auto header = run_command({kPython, "-c",
                                   "import h5py, json\n"
                                   "f = h5py.File('" +
                                       dir.file("run/stores/old.h5") +
                                       "', 'r')\n"
                                       "print(f['embeddings'].shape)\n"},
                                  120);
  EXPECT_EQ(header.exit_code, 0) << header.output;
  EXPECT_NE(header.output.find(", 16)"), std::string::npos) << header.output;

  // Run again: every stage, the imports included, comes from the run cache.
  const auto again = run_fct(2, {"run", dir.file("study.yaml"), "--no-progress"}, 600);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(
      again.output.find("old model (imported from " + dir.file("model.ts") + "): done before"),
      std::string::npos)
      << again.output;
  EXPECT_EQ(again.output.find("(TorchScript, "), std::string::npos) << again.output;
}

}  // namespace
}  // namespace fct::testing
