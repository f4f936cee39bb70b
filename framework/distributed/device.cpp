#include "framework/distributed/device.h"

#include "framework/core/error.h"

namespace fct::distributed {

torch::Device select_device(config::DeviceChoice choice, int local_rank) {
  if (choice == config::DeviceChoice::kCpu) return torch::kCPU;
  const bool has_gpu = torch::cuda::is_available();
  if (choice == config::DeviceChoice::kCuda && !has_gpu)
    throw ConfigError("dist.device: cuda was asked for, but LibTorch sees no GPU");
  if (!has_gpu) return torch::kCPU;
  const int count = static_cast<int>(torch::cuda::device_count());
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % count));
}

std::string default_communicator(const torch::Device& device) {
  return device.is_cuda() ? "nccl" : "mpi";
}

}  // namespace fct::distributed
