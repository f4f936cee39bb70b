// A communicator of one rank without MPI, for tests of code that is collective but needs no peer
// (the local executor on one rank): every collective leaves its tensor as it is.
#pragma once

#include "framework/distributed/communicator.h"

namespace fct::testing {

class SoloCommunicator : public distributed::Communicator {
 public:
  std::string name() const override { return "solo"; }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  torch::Device device() const override { return torch::kCPU; }
  MPI_Comm mpi_comm() const override { return MPI_COMM_SELF; }
  void all_reduce(torch::Tensor&, distributed::ReduceOp) override {}
  std::unique_ptr<distributed::Work> all_reduce_async(torch::Tensor,
                                                      distributed::ReduceOp) override {
    return std::make_unique<Done>();
  }
  void broadcast(torch::Tensor&, int) override {}
  torch::Tensor all_gather(const torch::Tensor& tensor) override { return tensor.unsqueeze(0); }
  void barrier() override {}

 private:
  struct Done : distributed::Work {
    void wait() override {}
    bool is_completed() override { return true; }
  };
};

}  // namespace fct::testing
