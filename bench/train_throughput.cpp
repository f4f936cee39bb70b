// Training throughput of one data-parallel configuration: synthetic Fashion-MNIST-shaped batches
// through the real model, loss, GradientReducer and optimiser. Prints one JSON object (rank 0).
// bench/train_throughput.sh runs it as 1 rank x 2 threads and 2 ranks x 1 thread.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "framework/core/allocator_tuning.h"
#include "framework/core/error.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/compute_threads.h"
#include "framework/distributed/gradient_reducer.h"
#include "framework/distributed/runtime.h"
#include "framework/losses/classification_loss.h"
#include "framework/models/embedding_model.h"
#include "framework/train/optimizer_registry.h"

int main(int argc, char** argv) {
  fct::tune_allocator();  // as the fct command does (Note [Allocator])
  fct::distributed::Runtime runtime(&argc, &argv);
  const auto& info = runtime.info();
  CLI::App app{"fct training-throughput benchmark"};
  std::string arch = "resnet18_small";
  int64_t width = 8, global_batch = 256, steps = 20, warmup = 3, threads = 0, image_size = 28;
  app.add_option("--arch", arch);
  app.add_option("--width", width);
  app.add_option("--global-batch", global_batch);
  app.add_option("--steps", steps);
  app.add_option("--warmup", warmup);
  app.add_option("--threads", threads, "intra-op threads per rank (0 = cores / ranks)");
  app.add_option("--image-size", image_size);
  int64_t in_channels = 1;
  std::string device_name = "cpu", head = "conv";
  app.add_option("--in-channels", in_channels);
  app.add_option("--head", head, "embedding head: conv or linear");
  app.add_option("--device", device_name, "cpu or cuda (one GPU per rank, NCCL)");
  CLI11_PARSE(app, argc, argv);

  try {
    const int thread_count = fct::distributed::threads_for_rank(static_cast<int>(threads), info);
    fct::distributed::set_compute_threads(thread_count);
    const bool cuda = device_name == "cuda";
    const torch::Device device =
        cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(info.local_rank))
             : torch::Device(torch::kCPU);
    fct::distributed::CommunicatorOptions comm_options;
    comm_options.device_index = cuda ? info.local_rank : 0;
    auto comm = fct::distributed::make_communicator(cuda ? "nccl" : "mpi", comm_options);
    const int64_t local_batch = global_batch / info.size;

    fct::config::ModelConfig model_config;
    model_config.arch = arch;
    model_config.width = width;
    const auto embedding_head = fct::config::enum_from_name<fct::config::EmbeddingHead>(head);
    if (!embedding_head) throw fct::ConfigError("--head: expected conv or linear, got " + head);
    model_config.head = *embedding_head;
    torch::manual_seed(0);
    auto model = fct::models::make_embedding_model(model_config, in_channels, 10);
    model->to(device);
    fct::losses::CrossEntropyLoss loss(0.1);
    fct::config::OptimizerConfig optimizer_config;
    auto optimizer = fct::train::make_optimizer(model->parameters(), optimizer_config);
    fct::distributed::GradientReducer reducer(*model, *comm);

    const auto images = torch::randn({local_batch, in_channels, image_size, image_size}).to(device);
    const auto labels = torch::randint(0, 10, {local_batch}, torch::kLong).to(device);
    std::vector<double> step_seconds;
    double wait_seconds = 0.0;
    for (int64_t step = 0; step < warmup + steps; ++step) {
      comm->barrier();
      reducer.reset_timers();
      const auto start = std::chrono::steady_clock::now();
      optimizer->zero_grad();
      const auto out = model->forward(images);
      loss.forward({out.embedding, out.logits, labels, {}}).backward();
      reducer.finish_backward();
      optimizer->step();
      if (cuda) model->parameters()[0].sum().item<float>();  // wait for the GPU's queue
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (step >= warmup) {
        step_seconds.push_back(seconds);
        wait_seconds += reducer.wait_seconds();
      }
    }
    // The job is as fast as its slowest rank.
    auto total = torch::tensor({std::accumulate(step_seconds.begin(), step_seconds.end(), 0.0)},
                               torch::kFloat64);
    comm->all_reduce(total, fct::distributed::ReduceOp::kMax);
    auto wait = torch::tensor({wait_seconds}, torch::kFloat64);
    comm->all_reduce(wait, fct::distributed::ReduceOp::kMax);
    std::sort(step_seconds.begin(), step_seconds.end());
    if (info.rank == 0) {
      const double total_s = total.item<double>();
      nlohmann::json result = {
          {"arch", arch},
          {"width", width},
          {"ranks", info.size},
          {"device", device_name},
          {"image_size", image_size},
          {"threads_per_rank", thread_count},
          {"global_batch", global_batch},
          {"steps", steps},
          {"images_per_s", global_batch * steps / total_s},
          {"step_ms_p50", 1e3 * step_seconds[step_seconds.size() / 2]},
          {"step_ms_p95",
           1e3 * step_seconds[std::min(step_seconds.size() - 1, step_seconds.size() * 95 / 100)]},
          {"allreduce_wait_share", wait.item<double>() / total_s}};
      std::cout << result.dump() << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "rank " << info.rank << ": " << e.what() << std::endl;
    if (info.size > 1) fct::distributed::Runtime::abort_job(1);
    return 1;
  }
  return 0;
}
