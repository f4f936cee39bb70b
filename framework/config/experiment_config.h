// The typed configuration of one experiment (`fct train exp.yaml`). Each struct declares its keys,
// defaults, documentation and checks exactly once, in its visit() method; the YAML reader, the
// resolved-config writer and the override grammar are all driven by these visit() methods
// (framework/config/config_reader.h). Defaults live in the member initialisers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/checks.h"
#include "framework/config/choices.h"
#include "framework/config/registered_names.h"

namespace fct::config {

struct DataConfig {
  std::string name = "fashion_mnist";  // dataset registry name (framework/data/dataset_registry.h)
  std::string root;                    // "" = the dataset's default location
  std::vector<int64_t> classes;        // class subset, e.g. [0, 1, 2, 3, 4]; empty = all classes
  std::string train_split = "train";
  std::string val_split = "test";
  bool augment = true;         // light augmentation on the training split
  int64_t limit = 0;           // use only the first N samples of each split (0 = all); for tests
  int64_t loader_threads = 0;  // loader workers per rank (0 = batches built on the training thread)
  // Image-file datasets only:
  int64_t image_size = 224;           // side of the square crops the model sees
  double eval_crop_fraction = 0.875;  // evaluation: centre crop of this share of the shorter side
  BadFilePolicy bad_files = BadFilePolicy::kSkip;  // skip (counted, logged once) or fail
  std::string cache_dir = "runs/cache";            // where dataset indexes are cached

  template <class V>
  void visit(V& v) {
    v("name", name, "dataset, by registry name", registered("dataset"));
    v("root", root, "dataset directory ('' = the dataset's default location)");
    v("classes", classes, "class subset, e.g. [0, 1, 2, 3, 4]; empty = every class",
      each(at_least<int64_t>(0)));
    v("train_split", train_split, "split used for training", not_empty());
    v("val_split", val_split, "split used for validation accuracy", not_empty());
    v("augment", augment, "light augmentation of training images");
    v("limit", limit, "use only the first N samples of each split (0 = all)", at_least<int64_t>(0));
    v("loader_threads", loader_threads,
      "loader worker threads per rank (0 = on the training thread)", at_least<int64_t>(0));
    v("image_size", image_size, "image files: side of the square crops the model sees",
      in_range<int64_t>(8, 4096));
    v("eval_crop_fraction", eval_crop_fraction,
      "image files: evaluation centre crop as a share of the shorter side (224/256 = 0.875)",
      in_range(0.05, 1.0));
    v("bad_files", bad_files, "image files that do not decode: skip (counted) or fail");
    v("cache_dir", cache_dir, "directory of cached dataset indexes", not_empty());
  }
};

struct ModelConfig {
  std::string arch = "resnet18_small";  // model registry name (framework/models/model_registry.h)
  int64_t embedding_dim = 128;
  int64_t width = 64;  // channels of the first stage (64 = torchvision's ResNet)
  EmbeddingHead head = EmbeddingHead::kConv;
  // Models from PyTorch (docs/pytorch-models.md). A state dict (torch.save(model.state_dict()),
  // torchvision's names) to start from, or with `frozen` to use as it is.
  std::string weights;
  bool frozen = false;
  // arch torchscript: the file of torch.jit.save, mapping images to embeddings, and the images it
  // expects: their side (0 = as the dataset gives them) and the per-channel normalisation of pixel
  // values in [0, 1] ([] = the dataset's own; [0] and [1] = none, for a module that normalises).
  std::string path;
  int64_t input_size = 0;
  std::vector<double> input_mean;
  std::vector<double> input_std;

  // A TorchScript module is used as it is, whatever `frozen` says: fct trains its own backbones.
  bool imported() const { return frozen || arch == "torchscript"; }

  template <class V>
  void visit(V& v) {
    v("arch", arch, "backbone, by registry name (torchscript: a module from PyTorch)",
      registered("model"));
    v("embedding_dim", embedding_dim, "embedding dimension d", in_range<int64_t>(1, 65536));
    v("width", width, "channels of the first stage (64 = torchvision ResNet)",
      in_range<int64_t>(1, 4096));
    v("head", head, "embedding head: conv (protocol) or linear");
    v("weights", weights, "state dict file to start from ('' = random initialisation)");
    v("frozen", frozen, "use the model as given (weights or path), without training");
    v("path", path, "arch torchscript: the TorchScript file");
    v("input_size", input_size, "arch torchscript: side of its input images (0 = the dataset's)",
      in_range<int64_t>(0, 4096));
    v("input_mean", input_mean, "arch torchscript: per-channel mean it expects ([] = dataset's)");
    v("input_std", input_std, "arch torchscript: per-channel std it expects ([] = dataset's)",
      each(positive()));
  }

  std::string cross_check() const {
    if (arch == "torchscript") {
      if (path.empty()) return "arch torchscript needs 'path', the module's file";
      if (!weights.empty())
        return "'weights' loads a state dict into fct's own backbones, not into a TorchScript "
               "module (its weights are in its file)";
    } else {
      if (!path.empty()) return "'path' names a TorchScript file: set arch: torchscript";
      if (input_size != 0 || !input_mean.empty() || !input_std.empty())
        return "input_size, input_mean and input_std describe a TorchScript module's input; fct's "
               "own backbones take the dataset's images";
      if (frozen && weights.empty())
        return "frozen without 'weights' would be a model with random weights";
    }
    if (input_mean.size() != input_std.size())
      return "input_mean and input_std need one value per channel each (" +
             std::to_string(input_mean.size()) + " and " + std::to_string(input_std.size()) +
             " given)";
    return "";
  }
};

struct LossConfig {
  std::string name = "cross_entropy";  // loss registry name
  double label_smoothing = 0.1;
  // Margin losses (normface, cosface, arcface): logit scale s and margin m; 0 / -1 = the loss's
  // default (normface s 16; cosface s 30, m 0.35; arcface s 30, m 0.5).
  double scale = 0.0;
  double margin = -1.0;

  template <class V>
  void visit(V& v) {
    v("name", name, "loss, by registry name", registered("loss"));
    v("label_smoothing", label_smoothing, "label smoothing of the cross-entropy",
      in_range(0.0, 1.0));
    v("scale", scale, "margin losses: logit scale s (0 = the loss's default)", at_least(0.0));
    v("margin", margin, "margin losses: margin m (-1 = the loss's default)", in_range(-1.0, 1.5));
  }
};

struct OptimizerConfig {
  std::string name = "sgd";  // optimiser registry name (framework/train/optimizer_registry.h)
  double lr = 0.1;           // peak learning rate for the global batch
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 5e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;

  template <class V>
  void visit(V& v) {
    v("name", name, "optimiser, by registry name", registered("optimizer"));
    v("lr", lr, "peak learning rate for the global batch", positive());
    v("momentum", momentum, "SGD momentum", in_range(0.0, 1.0));
    v("nesterov", nesterov, "SGD Nesterov momentum");
    v("weight_decay", weight_decay, "L2 weight decay", at_least(0.0));
    v("beta1", beta1, "Adam beta1", in_range(0.0, 1.0));
    v("beta2", beta2, "Adam beta2", in_range(0.0, 1.0));
    v("eps", eps, "Adam epsilon", positive());
  }
};

struct ScheduleConfig {
  int64_t epochs = 10;
  double warmup_epochs = 1.0;  // linear warm-up from 0 to the peak lr, then cosine to 0
  int64_t batch_size = 256;    // global batch, split evenly across ranks
  int64_t eval_batch_size = 1024;

  template <class V>
  void visit(V& v) {
    v("epochs", epochs, "training epochs", in_range<int64_t>(1, 100000));
    v("warmup_epochs", warmup_epochs, "linear warm-up epochs before the cosine decay",
      at_least(0.0));
    v("batch_size", batch_size, "global batch size (split evenly across ranks)",
      in_range<int64_t>(1, 1 << 24));
    v("eval_batch_size", eval_batch_size, "batch size per rank for evaluation",
      in_range<int64_t>(1, 1 << 24));
  }
};

struct DistConfig {
  static constexpr const char* kAutoBackend = "auto";  // nccl on a GPU, mpi otherwise
  std::string backend = kAutoBackend;                  // communicator registry name, or auto
  DeviceChoice device = DeviceChoice::kAuto;
  double bucket_mb = 25.0;       // gradient bucket cap (PyTorch DDP's default)
  double first_bucket_mb = 1.0;  // small first bucket, as DDP, so the first all-reduce starts early
  int64_t threads_per_rank = 0;  // intra-op threads per rank (0 = cores of the node / ranks on it)
  double timeout_s = 300.0;      // a collective that takes longer ends the job

  template <class V>
  void visit(V& v) {
    v("backend", backend, "communicator, by registry name, or auto (nccl on a GPU, else mpi)",
      registered("communicator", {kAutoBackend}));
    v("device", device, "cpu, cuda or auto");
    v("bucket_mb", bucket_mb, "gradient bucket cap in MB", positive());
    v("first_bucket_mb", first_bucket_mb, "first gradient bucket cap in MB", positive());
    v("threads_per_rank", threads_per_rank, "intra-op threads per rank (0 = auto)",
      at_least<int64_t>(0));
    v("timeout_s", timeout_s, "seconds before a stuck collective ends the job", positive());
  }
};

// Fault injection for the fail-fast tests: one rank fails on purpose at a given step, by throwing,
// by killing itself with SIGKILL, or by hanging (its peers must then time out).
struct DebugConfig {
  int64_t fail_rank = -1;
  int64_t fail_step = -1;
  FailMode fail_mode = FailMode::kThrow;
  // Each training step lasts at least this long (the rest is slept): lets a test make a run
  // outlast a time limit on any machine, fast or slow, without changing what it computes.
  double min_step_seconds = 0.0;

  template <class V>
  void visit(V& v) {
    v("fail_rank", fail_rank, "rank that fails on purpose (-1 = none)", at_least<int64_t>(-1));
    v("fail_step", fail_step, "global step at which fail_rank fails", at_least<int64_t>(-1));
    v("fail_mode", fail_mode, "how it fails: throw, kill, hang, or preempt (as SIGUSR2 does)");
    v("min_step_seconds", min_step_seconds,
      "each training step lasts at least this long (tests of time limits; 0 = off)",
      in_range<double>(0.0, 60.0));
  }
};

struct ExperimentConfig {
  std::string name = "experiment";
  int64_t seed = 0;
  std::string output_dir;  // "" = runs/<name>
  int64_t log_every = 20;  // steps between metric lines
  DataConfig data;
  ModelConfig model;
  LossConfig loss;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  DistConfig dist;
  DebugConfig debug;

  template <class V>
  void visit(V& v) {
    v("name", name, "experiment name", not_empty());
    v("seed", seed, "seed of every random choice in the run", at_least<int64_t>(0));
    v("output_dir", output_dir, "run directory ('' = runs/<name>)");
    v("log_every", log_every, "steps between metric lines", at_least<int64_t>(1));
    v("data", data, "dataset");
    v("model", model, "model");
    v("loss", loss, "loss");
    v("optimizer", optimizer, "optimiser");
    v("schedule", schedule, "epochs, batch and learning-rate schedule");
    v("dist", dist, "distributed runtime");
    v("debug", debug, "fault injection for tests");
  }
};

}  // namespace fct::config
