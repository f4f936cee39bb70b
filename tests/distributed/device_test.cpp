// Device choice: dist.device to a torch::Device for this rank, and the communicator that suits it.
#include "framework/distributed/device.h"

#include <gtest/gtest.h>

#include "framework/core/error.h"

namespace fct::distributed {
namespace {

TEST(Device, CpuIsTheCpuWhateverTheMachine) {
  EXPECT_EQ(select_device(config::DeviceChoice::kCpu, 0), torch::Device(torch::kCPU));
  EXPECT_EQ(select_device(config::DeviceChoice::kCpu, 5), torch::Device(torch::kCPU));
}

TEST(Device, AutoAndCudaFollowTheGpusLibTorchSees) {
  if (!torch::cuda::is_available()) {
    EXPECT_EQ(select_device(config::DeviceChoice::kAuto, 1), torch::Device(torch::kCPU));
    try {
      select_device(config::DeviceChoice::kCuda, 0);
      FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("dist.device"), std::string::npos) << e.what();
    }
    return;
  }
  // Ranks of a node take the GPUs in turn.
  const auto count = static_cast<int>(torch::cuda::device_count());
  EXPECT_EQ(select_device(config::DeviceChoice::kAuto, count + 1),
            torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(1 % count)));
  EXPECT_EQ(select_device(config::DeviceChoice::kCuda, 0), torch::Device(torch::kCUDA, 0));
}

TEST(Device, AutomaticCommunicatorIsNcclOnAGpuAndMpiOnTheCpu) {
  EXPECT_EQ(default_communicator(torch::Device(torch::kCPU)), "mpi");
  EXPECT_EQ(default_communicator(torch::Device(torch::kCUDA, 0)), "nccl");
}

}  // namespace
}  // namespace fct::distributed
