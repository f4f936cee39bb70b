// The communicator registry (no MPI needed): the names every build reads, and what an unknown or
// unavailable one says.
#include "framework/distributed/communicator.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"

namespace fct::distributed {
namespace {

TEST(CommunicatorRegistry, ListsMpiAndNcclInEveryBuild) {
  // nccl is a name every build reads; a build without CUDA refuses it when it is made.
  EXPECT_EQ(communicator_names(), (std::vector<std::string>{"mpi", "nccl"}));
#ifndef FCT_WITH_CUDA
  try {
    make_communicator("nccl", {});
    FAIL() << "expected an error";
  } catch (const DistributedError& e) {
    EXPECT_NE(std::string(e.what()).find("no CUDA/NCCL"), std::string::npos) << e.what();
  }
#endif
}

TEST(CommunicatorRegistry, UnknownNameSuggestsKnownOnes) {
  try {
    make_communicator("mpii", {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("mpii"), std::string::npos) << message;
    EXPECT_NE(message.find("mpi"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace fct::distributed
