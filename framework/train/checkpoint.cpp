#include "framework/train/checkpoint.h"

#include "framework/core/archive_output.h"
#include "framework/core/error.h"
#include "framework/core/zip_integrity.h"

namespace fct::train {
namespace {

constexpr int64_t kFormatVersion = 1;

}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model,
                     torch::optim::Optimizer& optimizer, const TrainingProgress& progress) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  torch::serialize::OutputArchive optimizer_archive;
  optimizer.save(optimizer_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("format_version", torch::tensor(kFormatVersion));
  archive.write("epochs_done", torch::tensor(progress.epochs_done));
  archive.write("global_step", torch::tensor(progress.global_step));
  archive.write("config_hash", torch::tensor(static_cast<int64_t>(progress.config_hash)));
  if (progress.partial.steps > 0) {
    const auto& p = progress.partial;
    archive.write("partial_steps", torch::tensor(p.steps));
    archive.write("partial_sums", torch::tensor({p.loss_sum, p.correct, p.seen}, torch::kFloat64));
    archive.write("rank_buffers", p.rank_buffers);
  }
  save_archive_atomically(archive, path);
}

TrainingProgress load_checkpoint(const std::string& path, torch::nn::Module& model,
                                 torch::optim::Optimizer& optimizer) {
  verify_zip_file(path, "checkpoint");  // Note [Damaged archives]
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor version;
    archive.read("format_version", version);
    if (version.item<int64_t>() != kFormatVersion)
      throw Error("unsupported checkpoint format version " +
                  std::to_string(version.item<int64_t>()));
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    optimizer.load(optimizer_archive);
    TrainingProgress progress;
    torch::Tensor value;
    archive.read("epochs_done", value);
    progress.epochs_done = value.item<int64_t>();
    archive.read("global_step", value);
    progress.global_step = value.item<int64_t>();
    archive.read("config_hash", value);
    progress.config_hash = static_cast<uint64_t>(value.item<int64_t>());
    // Each read into a fresh tensor: reading into a defined one keeps its dtype and reinterprets.
    torch::Tensor steps;
    if (archive.try_read("partial_steps", steps)) {
      auto& p = progress.partial;
      p.steps = steps.item<int64_t>();
      torch::Tensor sums;
      archive.read("partial_sums", sums);
      p.loss_sum = sums[0].item<double>();
      p.correct = sums[1].item<double>();
      p.seen = sums[2].item<double>();
      archive.read("rank_buffers", p.rank_buffers);
    }
    return progress;
  } catch (const fct::Error& e) {
    throw Error("checkpoint " + path + ": " + e.what());
  } catch (const std::exception& e) {
    throw Error("checkpoint " + path + " cannot be loaded: " + e.what());
  }
}

void save_model(const std::string& path, torch::nn::Module& model) {
  torch::serialize::OutputArchive archive;
  model.save(archive);
  save_archive_atomically(archive, path);
}

void load_model(const std::string& path, torch::nn::Module& model) {
  verify_zip_file(path, "model file");
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    model.load(archive);
  } catch (const std::exception& e) {
    throw Error("model file " + path + " cannot be loaded: " + e.what());
  }
}

}  // namespace fct::train
