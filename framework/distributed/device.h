// Where a rank's tensors live, and the transport that matches: one GPU per rank (by local rank)
// with NCCL, or the CPU with MPI.
#pragma once

#include <torch/torch.h>

#include <string>

#include "framework/config/choices.h"

namespace fct::distributed {

// cpu, or cuda:<local_rank modulo the GPUs LibTorch sees>; auto = cuda when there is a GPU.
// Throws ConfigError for cuda on a machine without one.
torch::Device select_device(config::DeviceChoice choice, int local_rank);

// The communicator that suits `device` when dist.backend is auto: nccl on a GPU, mpi on the CPU.
std::string default_communicator(const torch::Device& device);

}  // namespace fct::distributed
