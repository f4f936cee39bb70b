// NcclCommunicator: the collectives of Communicator for CUDA tensors over NCCL (compiled only with
// FCT_WITH_CUDA). The NCCL id travels by MPI as in Horovod; collectives run on a private stream
// ordered after the legacy default stream, and waits poll NCCL's async error against a deadline.
#pragma once

#include <memory>
#include <string>

#include "framework/distributed/communicator.h"

namespace fct::distributed {

class NcclCommunicator : public Communicator {
 public:
  // Collective over MPI_COMM_WORLD: rank 0 creates the NCCL id, MPI broadcasts it, every rank joins
  // on CUDA device options.device_index, then all meet at a barrier.
  explicit NcclCommunicator(const CommunicatorOptions& options);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  std::string name() const override { return "nccl"; }
  int rank() const override;
  int size() const override;
  torch::Device device() const override;
  MPI_Comm mpi_comm() const override;

  // CUDA tensors must be contiguous and on options.device_index. CPU tensors are accepted too and
  // staged through device memory, so that small control values (hashes, metric sums) need no
  // second communicator.
  void all_reduce(torch::Tensor& tensor, ReduceOp op = ReduceOp::kSum) override;
  std::unique_ptr<Work> all_reduce_async(torch::Tensor tensor,
                                         ReduceOp op = ReduceOp::kSum) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  torch::Tensor all_gather(const torch::Tensor& tensor) override;
  // A host-side barrier (MPI): every rank has reached this point of its program.
  void barrier() override;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;  // shared with in-flight Works
};

}  // namespace fct::distributed
