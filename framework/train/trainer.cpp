#include "framework/train/trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <memory>
#include <thread>

#include "framework/core/error.h"
#include "framework/core/preemption.h"
#include "framework/distributed/agreement.h"
#include "framework/distributed/distributed_sampler.h"
#include "framework/distributed/gradient_reducer.h"
#include "framework/distributed/preemption_vote.h"
#include "framework/train/checkpoint.h"
#include "framework/train/lr_schedule.h"
#include "framework/train/metrics_log.h"
#include "framework/train/optimizer_registry.h"
#include "framework/train/progress_bar.h"

namespace fct::train {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Sums a few doubles over all ranks in one collective.
std::vector<double> sum_over_ranks(distributed::Communicator& comm,
                                   const std::vector<double>& values) {
  auto tensor = torch::tensor(values, torch::kFloat64);
  comm.all_reduce(tensor);
  return {tensor.data_ptr<double>(), tensor.data_ptr<double>() + tensor.numel()};
}

// A diverging rank (a bug, a bad node) must end the job rather than train on silently: every rank
// compares the checksum of its parameters with every other rank's.
void check_parameters_agree(distributed::Communicator& comm, torch::nn::Module& module,
                            const std::string& when) {
  torch::NoGradGuard no_grad;
  // Summed on the parameters' device and read once: one device sync, not one per parameter.
  torch::Tensor sum;
  for (const auto& p : module.parameters()) {
    const auto s = p.sum(torch::kFloat64);
    sum = sum.defined() ? sum + s : s;
  }
  const double checksum = sum.defined() ? sum.item<double>() : 0.0;
  const auto all = comm.all_gather(torch::tensor({checksum}, torch::kFloat64)).flatten();
  const double reference = all[0].item<double>();
  for (int64_t r = 1; r < all.numel(); ++r) {
    const double value = all[r].item<double>();
    if (std::abs(value - reference) > 1e-6 * std::max(1.0, std::abs(reference))) {
      throw DistributedError("ranks diverged " + when + ": parameter checksum of rank " +
                             std::to_string(r) + " is " + std::to_string(value) + ", rank 0 has " +
                             std::to_string(reference));
    }
  }
}

// This rank's contiguous slice of an evaluation split: no padding, so every sample counts once.
std::vector<int64_t> eval_shard(int64_t size, int rank, int world) {
  const int64_t begin = size * rank / world;
  const int64_t end = size * (rank + 1) / world;
  std::vector<int64_t> indices(end - begin);
  for (int64_t i = begin; i < end; ++i) indices[i - begin] = i;
  return indices;
}

// Accuracies as percentages, other metrics (a mean squared error) as they are.
std::string format_metric(const std::string& name, double value) {
  const std::string suffix = "accuracy";
  if (name.size() >= suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return fmt::format("{:.2f}%", 100 * value);
  return fmt::format("{:.5g}", value);
}

// See DebugConfig: the fail-fast tests make one rank die in each of the ways a real one can.
void inject_fault(const config::DebugConfig& debug, int rank, int64_t step) {
  const std::string where = "rank " + std::to_string(rank) + " at step " + std::to_string(step);
  switch (debug.fail_mode) {
    case config::FailMode::kKill:
      spdlog::warn("fault injection: SIGKILL to {}", where);
      std::raise(SIGKILL);
      break;
    case config::FailMode::kPreempt:
      spdlog::warn("fault injection: {} is preempted (as by SIGUSR2)", where);
      request_preemption();
      return;
    case config::FailMode::kHang:
      spdlog::warn("fault injection: {} hangs", where);
      while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
    case config::FailMode::kThrow:
      break;
  }
  throw Error("fault injection: " + where + " throws (debug.fail_rank/debug.fail_step)");
}

// Every rank's buffers (BatchNorm statistics, which differ per rank inside an epoch) as one
// [ranks, n] float64 tensor, so that a checkpoint written mid-epoch can give each rank its own
// back.
torch::Tensor gather_rank_buffers(distributed::Communicator& comm, torch::nn::Module& module) {
  std::vector<torch::Tensor> flat;
  for (const auto& b : module.buffers())
    flat.push_back(b.detach().to(torch::kCPU, torch::kFloat64).flatten());
  const auto mine = flat.empty() ? torch::zeros({0}, torch::kFloat64) : torch::cat(flat);
  return comm.all_gather(mine).to(torch::kCPU);
}

void restore_rank_buffers(const torch::Tensor& rank_buffers, int rank, int world,
                          torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  // Resumed on another number of ranks: the mean is the best one can do (not exact).
  const auto row = rank_buffers.size(0) == world ? rank_buffers[rank] : rank_buffers.mean(0);
  int64_t offset = 0;
  for (auto& b : module.buffers()) {
    const int64_t n = b.numel();
    if (offset + n > row.numel()) throw Error("checkpoint: per-rank buffers do not fit the model");
    b.copy_(row.slice(0, offset, offset + n).view(b.sizes()).to(b.device(), b.scalar_type()));
    offset += n;
  }
}

}  // namespace

std::string checkpoint_path(const std::string& run_directory) {
  return run_directory + "/checkpoint.pt";
}

Trainer::Trainer(const config::ExperimentConfig& config, distributed::Communicator& comm,
                 TrainerOptions options)
    : config_(config), comm_(comm), options_(std::move(options)) {}

TrainSummary Trainer::run(TrainingTask& task, const data::Dataset& train_set,
                          const data::Transform& train_transform, const data::Dataset& val_set,
                          const data::Transform& eval_transform) {
  return run(task, data::ImageBatchSource(train_set, train_transform),
             data::ImageBatchSource(val_set, eval_transform));
}

TrainSummary Trainer::run(TrainingTask& task, const data::BatchSource& train_set,
                          const data::BatchSource& val_set) {
  const int rank = comm_.rank();
  const int world = comm_.size();
  const auto& schedule = config_.schedule;
  if (schedule.batch_size % world != 0) {
    throw ConfigError("schedule.batch_size (" + std::to_string(schedule.batch_size) +
                      ") must be divisible by the number of ranks (" + std::to_string(world) + ")");
  }
  const int64_t local_batch = schedule.batch_size / world;

  distributed::check_same_on_all_ranks(comm_, options_.config_hash, "resolved config");
  distributed::check_same_on_all_ranks(comm_, static_cast<uint64_t>(train_set.size()),
                                       "training-set size");

  distributed::DistributedSampler sampler({train_set.size(), rank, world,
                                           static_cast<uint64_t>(config_.seed), /*shuffle=*/true,
                                           /*drop_last=*/true});
  const int64_t steps_per_epoch = sampler.shard_size() / local_batch;
  if (steps_per_epoch == 0) {
    throw ConfigError("schedule.batch_size (" + std::to_string(schedule.batch_size) +
                      ") is larger than the training set (" + std::to_string(train_set.size()) +
                      " samples)");
  }
  const int64_t total_steps = steps_per_epoch * schedule.epochs;
  const auto warmup_steps = std::min<int64_t>(
      total_steps, static_cast<int64_t>(std::llround(schedule.warmup_epochs * steps_per_epoch)));
  const WarmupCosineSchedule lr_schedule(config_.optimizer.lr, warmup_steps, total_steps);

  // Image tasks count images; tasks on cached features count items.
  const std::string item_unit =
      dynamic_cast<const data::RowBatchSource*>(&train_set) ? "item" : "img";
  if (rank == 0) std::filesystem::create_directories(options_.run_directory);
  comm_.barrier();

  auto& module = task.module();
  auto optimizer = make_optimizer(module.parameters(), config_.optimizer);

  TrainingProgress progress;
  progress.config_hash = options_.config_hash;
  const std::string checkpoint = checkpoint_path(options_.run_directory);
  if (options_.resume && std::filesystem::exists(checkpoint)) {
    progress = load_checkpoint(checkpoint, module, *optimizer);
    if (progress.config_hash != options_.config_hash) {
      spdlog::warn("resuming from {} written by a different config (hash {:016x}, now {:016x})",
                   checkpoint, progress.config_hash, options_.config_hash);
    }
    progress.config_hash = options_.config_hash;
    spdlog::info("resumed from {}: {} epochs done, step {}", checkpoint, progress.epochs_done,
                 progress.global_step);
  }

  // Broadcasts rank 0's parameters and buffers, so every rank starts from the same weights.
  distributed::GradientReducer reducer(module, comm_,
                                       {config_.dist.bucket_mb, config_.dist.first_bucket_mb});
  if (progress.partial.steps > 0) {
    if (progress.partial.rank_buffers.size(0) != world)
      spdlog::warn(
          "{} was written by {} ranks, resumed on {}: BatchNorm statistics averaged, the "
          "result will differ from an uninterrupted run",
          checkpoint, progress.partial.rank_buffers.size(0), world);
    restore_rank_buffers(progress.partial.rank_buffers, rank, world, module);
  }

  std::unique_ptr<MetricsLog> metrics;
  if (rank == 0) {
    metrics = std::make_unique<MetricsLog>(
        options_.run_directory,
        std::vector<std::string>{"epoch", "step", "lr", "train_loss", "train_accuracy",
                                 task.eval_metric(), "images_per_s", "epoch_seconds",
                                 "allreduce_wait_share"});
  }

  // Evaluation on this rank's slice of the validation split; counts are summed by the caller.
  const auto evaluate = [&]() {
    data::LoaderOptions eval_options;
    eval_options.batch_size = schedule.eval_batch_size;
    eval_options.threads = config_.data.loader_threads;
    eval_options.drop_last = false;
    eval_options.seed = static_cast<uint64_t>(config_.seed);
    eval_options.views = task.views();
    eval_options.pin_memory = options_.device.is_cuda();
    const auto eval_loader = val_set.open(eval_shard(val_set.size(), rank, world), eval_options);
    EvalCounts counts;
    while (auto batch = eval_loader->next()) {
      const EvalCounts c = task.eval_step(*batch);
      counts.sum += c.sum;
      counts.count += c.count;
    }
    return counts;
  };

  TrainSummary summary;
  summary.epochs_done = progress.epochs_done;
  summary.global_step = progress.global_step;
  const int64_t last_epoch =
      options_.stop_after_epochs > 0
          ? std::min(schedule.epochs, progress.epochs_done + options_.stop_after_epochs)
          : schedule.epochs;
  int64_t images_this_run = 0;
  double step_seconds_total = 0.0;
  double wait_seconds_total = 0.0;

  const bool trained = progress.epochs_done < last_epoch;
  for (int64_t epoch = progress.epochs_done; epoch < last_epoch; ++epoch) {
    const auto epoch_start = Clock::now();
    reducer.reset_timers();
    data::LoaderOptions loader_options;
    loader_options.batch_size = local_batch;
    loader_options.threads = config_.data.loader_threads;
    loader_options.drop_last = true;
    loader_options.seed = static_cast<uint64_t>(config_.seed);
    loader_options.epoch = epoch;
    loader_options.views = task.views();
    loader_options.pin_memory = options_.device.is_cuda();
    // A checkpoint written inside this epoch: skip the steps it took (the samples and their
    // augmentations depend only on seed, epoch and sample id, so the rest is as it would have
    // been).
    const int64_t first_step = epoch == progress.epochs_done ? progress.partial.steps : 0;
    auto indices = sampler.indices(epoch);
    indices.erase(indices.begin(),
                  indices.begin() + std::min<int64_t>(first_step * local_batch, indices.size()));
    const auto loader = train_set.open(indices, loader_options);

    ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(schedule.epochs),
                    steps_per_epoch * local_batch * world, item_unit,
                    options_.show_progress && rank == 0);
    double loss_sum = 0.0;
    int64_t correct = 0, seen = 0;
    if (first_step > 0 && rank == 0) {  // the sums so far; the other ranks add from zero
      loss_sum = progress.partial.loss_sum;
      correct = static_cast<int64_t>(progress.partial.correct);
      seen = static_cast<int64_t>(progress.partial.seen);
    }
    progress.partial = PartialEpoch();
    double lr = 0.0;
    for (int64_t step = first_step; step < steps_per_epoch; ++step) {
      if (distributed::any_rank_preempted(comm_)) {
        TrainingProgress snapshot = progress;
        snapshot.partial.steps = step;
        const auto sums = sum_over_ranks(
            comm_, {loss_sum, static_cast<double>(correct), static_cast<double>(seen)});
        snapshot.partial.loss_sum = sums[0];
        snapshot.partial.correct = sums[1];
        snapshot.partial.seen = sums[2];
        snapshot.partial.rank_buffers = gather_rank_buffers(comm_, module);
        if (rank == 0) save_checkpoint(checkpoint, module, *optimizer, snapshot);
        comm_.barrier();  // nobody exits before the checkpoint is complete
        bar.finish();
        const std::string place = "epoch " + std::to_string(epoch + 1) + ", step " +
                                  std::to_string(step) + "/" + std::to_string(steps_per_epoch);
        throw Preempted("preempted at " + place + ": checkpoint " + checkpoint +
                            " written; run again to resume",
                        checkpoint + " at " + place);
      }
      auto batch = loader->next();
      if (!batch) throw Error("data loader ended early at step " + std::to_string(step));
      if (config_.debug.fail_rank == rank && config_.debug.fail_step == progress.global_step) {
        inject_fault(config_.debug, rank, progress.global_step);
      }
      const auto step_start = Clock::now();
      lr = lr_schedule.lr(progress.global_step);
      set_learning_rate(*optimizer, lr);
      optimizer->zero_grad();
      const StepOutput out = task.train_step(*batch);
      const double loss_value = out.loss.item<double>();
      if (!std::isfinite(loss_value)) {
        throw Error("loss is " + std::to_string(loss_value) + " at epoch " +
                    std::to_string(epoch + 1) + ", step " + std::to_string(progress.global_step) +
                    " (learning rate " + std::to_string(lr) + ")");
      }
      out.loss.backward();
      reducer.finish_backward();
      optimizer->step();
      if (config_.debug.min_step_seconds > 0.0) {
        std::this_thread::sleep_until(
            step_start + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(config_.debug.min_step_seconds)));
      }
      step_seconds_total += seconds_since(step_start);
      ++progress.global_step;
      loss_sum += loss_value * out.count;
      correct += out.correct;
      seen += out.count;
      bar.update((step + 1) * local_batch * world,
                 "loss " + std::to_string(loss_sum / std::max<int64_t>(seen, 1)).substr(0, 6));
      if (metrics && progress.global_step % config_.log_every == 0) {
        metrics->step({{"epoch", epoch + 1},
                       {"step", progress.global_step},
                       {"lr", lr},
                       {"loss", loss_value}});
      }
    }
    const double epoch_train_seconds = seconds_since(epoch_start);
    bar.finish();
    wait_seconds_total += reducer.wait_seconds();
    images_this_run += steps_per_epoch * local_batch * world;

    // BatchNorm statistics differ per rank (each saw its own shard): average them before the
    // evaluation and the checkpoint, so both see one model.
    reducer.average_buffers();
    check_parameters_agree(comm_, module, "after epoch " + std::to_string(epoch + 1));

    const EvalCounts eval_counts = evaluate();
    const auto totals =
        sum_over_ranks(comm_, {loss_sum, static_cast<double>(correct), static_cast<double>(seen),
                               eval_counts.sum, static_cast<double>(eval_counts.count)});
    const double train_loss = totals[0] / std::max(totals[2], 1.0);
    const double train_accuracy = totals[1] / std::max(totals[2], 1.0);
    const double val_metric = totals[3] / std::max(totals[4], 1.0);
    const double images_per_s = steps_per_epoch * local_batch * world / epoch_train_seconds;
    const double wait_share = reducer.wait_seconds() / std::max(epoch_train_seconds, 1e-9);

    progress.epochs_done = epoch + 1;
    if (rank == 0) save_checkpoint(checkpoint, module, *optimizer, progress);
    comm_.barrier();  // nobody goes on (or exits) before the checkpoint is complete

    spdlog::info("epoch {}/{}: train loss {:.5g}{}, {} {}, {:.0f} {}/s", epoch + 1, schedule.epochs,
                 train_loss,
                 task.has_accuracy() ? fmt::format(", train accuracy {:.2f}%", 100 * train_accuracy)
                                     : std::string(),
                 task.eval_metric(), format_metric(task.eval_metric(), val_metric), images_per_s,
                 item_unit);
    if (metrics) {
      metrics->epoch({{"epoch", epoch + 1},
                      {"step", progress.global_step},
                      {"lr", lr},
                      {"train_loss", train_loss},
                      {"train_accuracy", train_accuracy},
                      {task.eval_metric(), val_metric},
                      {"images_per_s", images_per_s},
                      {"epoch_seconds", seconds_since(epoch_start)},
                      {"allreduce_wait_share", wait_share}});
    }
    summary.val_metric = val_metric;
    summary.train_seconds += epoch_train_seconds;
  }

  if (!trained) {
    // Nothing left to train (a finished run resumed): report the model as it is.
    const EvalCounts counts = evaluate();
    const auto totals = sum_over_ranks(comm_, {counts.sum, static_cast<double>(counts.count)});
    summary.val_metric = totals[0] / std::max(totals[1], 1.0);
  }
  summary.epochs_done = progress.epochs_done;
  summary.global_step = progress.global_step;
  summary.finished = progress.epochs_done >= schedule.epochs;
  summary.images_per_s = summary.train_seconds > 0 ? images_this_run / summary.train_seconds : 0.0;
  summary.allreduce_wait_share =
      step_seconds_total > 0 ? wait_seconds_total / step_seconds_total : 0.0;
  return summary;
}

}  // namespace fct::train
