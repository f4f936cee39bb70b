// MpiCommunicator: the collectives of Communicator for CPU tensors over MPI. Each collective is a
// non-blocking MPI call polled against a deadline, so a missing peer becomes a DistributedError
// naming the collective, its sequence number and the rank instead of a hang.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "framework/distributed/communicator.h"
#include "framework/distributed/mpi_c.h"

namespace fct::distributed {

class MpiCommunicator : public Communicator {
 public:
  // Collective over MPI_COMM_WORLD (duplicated: fct's traffic never matches anyone else's).
  explicit MpiCommunicator(const CommunicatorOptions& options);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  std::string name() const override { return "mpi"; }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  torch::Device device() const override { return torch::kCPU; }
  MPI_Comm mpi_comm() const override { return comm_; }

  void all_reduce(torch::Tensor& tensor, ReduceOp op = ReduceOp::kSum) override;
  std::unique_ptr<Work> all_reduce_async(torch::Tensor tensor,
                                         ReduceOp op = ReduceOp::kSum) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  torch::Tensor all_gather(const torch::Tensor& tensor) override;
  void barrier() override;

  // One in-flight MPI request with the tensors it reads and writes (shared with its Work).
  struct Pending;

 private:
  friend class MpiWork;

  std::unique_ptr<Work> start(const std::string& what, torch::Tensor target, torch::Tensor buffer,
                              torch::Tensor extra,
                              const std::function<int(MPI_Comm, MPI_Request*)>& launch);
  // Tests the request once under the MPI lock; on completion copies the result into the target.
  bool test(Pending& pending);
  void wait(Pending& pending);
  // Requests whose Work was dropped or timed out: their buffers must outlive the request.
  void adopt(std::shared_ptr<Pending> pending);
  void reap_orphans();

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  double timeout_s_;
  uint64_t sequence_ = 0;
  // MPI_THREAD_SERIALIZED: one thread in MPI at a time (hooks may run on autograd threads).
  std::recursive_mutex mpi_mutex_;
  std::vector<std::shared_ptr<Pending>> orphans_;
};

}  // namespace fct::distributed
