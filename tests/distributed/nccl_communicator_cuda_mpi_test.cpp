// NcclCommunicator under mpirun, on machines with one GPU per rank (skipped elsewhere): all_reduce,
// broadcast and all_gather on device memory and on staged CPU tensors, against local values.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include "framework/core/error.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/mpi_c.h"

namespace fct::distributed {
namespace {

int world_size() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// The same answer on every rank of one machine, so every rank skips or none does.
bool enough_gpus() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return false;
  return count >= world_size();
}

int local_rank() {
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int rank = 0;
  MPI_Comm_rank(node, &rank);
  MPI_Comm_free(&node);
  return rank;
}

// Device memory holding `host`, as a CUDA tensor (LibTorch here may be CPU-only, so the memory
// comes from cudaMalloc rather than from torch).
torch::Tensor to_device(const torch::Tensor& host, int device) {
  torch::Tensor contiguous = host.contiguous();
  void* memory = nullptr;
  const std::size_t bytes = contiguous.numel() * contiguous.element_size();
  cudaSetDevice(device);
  EXPECT_EQ(cudaMalloc(&memory, std::max<std::size_t>(bytes, 1)), cudaSuccess);
  cudaMemcpy(memory, contiguous.data_ptr(), bytes, cudaMemcpyHostToDevice);
  return at::for_blob(memory, contiguous.sizes())
      .options(contiguous.options())
      .target_device(torch::Device(torch::kCUDA, device))
      .deleter([](void* p) { cudaFree(p); })
      .make_tensor();
}

torch::Tensor to_host(const torch::Tensor& device_tensor) {
  torch::Tensor host =
      torch::empty(device_tensor.sizes(), device_tensor.options().device(torch::kCPU));
  cudaDeviceSynchronize();
  cudaMemcpy(host.data_ptr(), device_tensor.data_ptr(), host.numel() * host.element_size(),
             cudaMemcpyDeviceToHost);
  return host;
}

torch::Tensor input(int rank, int64_t n, torch::ScalarType type) {
  auto values = ((torch::arange(n, torch::kInt64) * 7 + rank * 31) % 97).to(torch::kFloat64);
  if (torch::isFloatingType(type)) values = values + 0.25 * rank;
  return values.to(type);
}

torch::Tensor expected_sum(int world, int64_t n, torch::ScalarType type) {
  torch::Tensor acc = torch::zeros({n}, torch::kFloat64);
  for (int r = 0; r < world; ++r) acc = acc + input(r, n, type).to(torch::kFloat64);
  if (type == torch::kUInt8) acc = torch::remainder(acc, 256);
  return acc.to(type).to(torch::kFloat64);
}

class NcclCommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!enough_gpus()) GTEST_SKIP() << "needs one CUDA device per rank";
    CommunicatorOptions options;
    options.timeout_s = 120;
    options.device_index = local_rank();
    comm_ = make_communicator("nccl", options);
    device_ = options.device_index;
  }
  std::unique_ptr<Communicator> comm_;
  int device_ = 0;
};

TEST_F(NcclCommunicatorTest, AllReduceOnDeviceEveryDtype) {
  for (auto type : {torch::kFloat32, torch::kFloat64, torch::kInt32, torch::kInt64, torch::kUInt8,
                    torch::kFloat16, torch::kBFloat16}) {
    for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1001}, (int64_t{1} << 20) + 3}) {
      torch::Tensor t = to_device(input(comm_->rank(), n, type), device_);
      comm_->all_reduce(t);
      // NCCL adds 16-bit floats in their own precision, rounding at every hop of the ring.
      const bool half = type == torch::kFloat16 || type == torch::kBFloat16;
      EXPECT_TRUE(torch::allclose(to_host(t).to(torch::kFloat64),
                                  expected_sum(comm_->size(), n, type), half ? 2e-2 : 0, 0))
          << type << " n=" << n;
    }
  }
}

TEST_F(NcclCommunicatorTest, StagedCpuTensorsAndMax) {
  torch::Tensor t = input(comm_->rank(), 1001, torch::kFloat32);
  comm_->all_reduce(t, ReduceOp::kMax);
  torch::Tensor want = input(0, 1001, torch::kFloat32);
  for (int r = 1; r < comm_->size(); ++r) want = torch::max(want, input(r, 1001, torch::kFloat32));
  EXPECT_TRUE(torch::equal(t, want));
}

TEST_F(NcclCommunicatorTest, BroadcastFromLastRankAndAllGather) {
  const int root = comm_->size() - 1;
  torch::Tensor t = to_device(input(comm_->rank(), 1001, torch::kFloat32), device_);
  comm_->broadcast(t, root);
  EXPECT_TRUE(torch::equal(to_host(t), input(root, 1001, torch::kFloat32)));

  torch::Tensor mine = to_device(input(comm_->rank(), 14, torch::kInt64).reshape({2, 7}), device_);
  torch::Tensor all = to_host(comm_->all_gather(mine));
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{comm_->size(), 2, 7}));
  for (int r = 0; r < comm_->size(); ++r)
    EXPECT_TRUE(torch::equal(all[r], input(r, 14, torch::kInt64).reshape({2, 7})));

  torch::Tensor cpu = comm_->all_gather(torch::tensor({comm_->rank()}, torch::kInt32));
  for (int r = 0; r < comm_->size(); ++r) EXPECT_EQ(cpu[r][0].item<int>(), r);
  comm_->barrier();
}

TEST_F(NcclCommunicatorTest, AsyncWorkCompletes) {
  torch::Tensor t = to_device(input(comm_->rank(), 4099, torch::kFloat32), device_);
  auto work = comm_->all_reduce_async(t);
  work->wait();
  EXPECT_TRUE(work->is_completed());
  EXPECT_TRUE(torch::equal(to_host(t).to(torch::kFloat64),
                           expected_sum(comm_->size(), 4099, torch::kFloat32)));
}

}  // namespace
}  // namespace fct::distributed
