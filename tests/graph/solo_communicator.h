// A communicator of one rank without MPI, for tests of code that is collective but needs no peer
// (the local executor on one rank): every collective leaves its tensor as it is.
#pragma once

#include "framework/dist/communicator.h"

namespace fct::testing {

class SoloCommunicator : public dist::Communicator {
 public:
  std::string name() const override { return "solo"; }
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_reduce(torch::Tensor&, dist::ReduceOp) override {}
  std::unique_ptr<dist::Work> all_reduce_async(torch::Tensor, dist::ReduceOp) override {
    return std::make_unique<Done>();
  }
  void broadcast(torch::Tensor&, int) override {}
  torch::Tensor all_gather(const torch::Tensor& tensor) override { return tensor.unsqueeze(0); }
  void barrier() override {}

 private:
  struct Done : dist::Work {
    void wait() override {}
    bool is_completed() override { return true; }
  };
};

}  // namespace fct::testing
