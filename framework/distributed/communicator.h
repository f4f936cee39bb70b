// Communicator: the collectives fct needs, behind one interface with one implementation per
// transport (MPI for CPU tensors, NCCL for CUDA tensors), selected by name. Every collective is
// issued in the same order on every rank; a collective that does not complete within the timeout
// throws DistributedError instead of hanging the job.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "framework/distributed/mpi_c.h"

namespace fct::distributed {

enum class ReduceOp { kSum, kMax, kMin };

// Handle of an asynchronous collective (c10d's Work). wait() blocks until the result is in the
// tensor the collective was given (for NCCL: until the current CUDA stream is ordered after it).
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  virtual bool is_completed() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual std::string name() const = 0;  // "mpi" or "nccl"
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Where the tensors of collectives live (the CPU for MPI, this rank's GPU for NCCL).
  virtual torch::Device device() const = 0;
  // An MPI communicator of the same ranks, for libraries that take one (parallel HDF5); duplicate
  // it before issuing collectives on it, so they never match this communicator's own.
  virtual MPI_Comm mpi_comm() const = 0;

  // In place; `tensor` must be contiguous and live on this communicator's device.
  virtual void all_reduce(torch::Tensor& tensor, ReduceOp op = ReduceOp::kSum) = 0;
  virtual std::unique_ptr<Work> all_reduce_async(torch::Tensor tensor,
                                                 ReduceOp op = ReduceOp::kSum) = 0;
  virtual void broadcast(torch::Tensor& tensor, int root) = 0;
  // Returns a tensor of shape [size, *tensor.shape]; every rank passes the same shape.
  virtual torch::Tensor all_gather(const torch::Tensor& tensor) = 0;
  virtual void barrier() = 0;
};

// Options shared by every communicator.
struct CommunicatorOptions {
  double timeout_s = 300.0;
  int device_index = 0;  // CUDA device for NCCL (the local rank)
};

// Creates the communicator registered under `name` ("mpi", "nccl") over MPI_COMM_WORLD.
std::unique_ptr<Communicator> make_communicator(const std::string& name,
                                                const CommunicatorOptions& options);
std::vector<std::string> communicator_names();

}  // namespace fct::distributed
