// MpiCommunicator and Runtime under mpirun: collectives of every dtype and odd sizes against values
// computed locally, broadcast from a non-zero root, all_gather, async work, and the deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "framework/core/error.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/mpi_c.h"
#include "framework/distributed/runtime.h"

namespace fct::distributed {
namespace {

std::unique_ptr<Communicator> make_mpi(double timeout_s = 60.0) {
  CommunicatorOptions options;
  options.timeout_s = timeout_s;
  return make_communicator("mpi", options);
}

// Rank r's input: small integers (+ a quarter for floating types), exact in every dtype, so sums
// do not depend on the order of additions.
torch::Tensor input(int rank, int64_t n, torch::ScalarType type) {
  auto values = (torch::arange(n, torch::kInt64) * 7 + rank * 31) % 97;
  auto result = values.to(torch::kFloat64);
  if (torch::isFloatingType(type)) result = result + 0.25 * rank;
  return result.to(type);
}

torch::Tensor expected(int world, int64_t n, torch::ScalarType type, ReduceOp op) {
  torch::Tensor acc = input(0, n, type).to(torch::kFloat64);
  for (int r = 1; r < world; ++r) {
    torch::Tensor x = input(r, n, type).to(torch::kFloat64);
    acc = op == ReduceOp::kSum   ? acc + x
          : op == ReduceOp::kMax ? torch::max(acc, x)
                                 : torch::min(acc, x);
  }
  if (type == torch::kUInt8) acc = torch::remainder(acc, 256);  // uint8 sums wrap
  // Exact in float64; rounded once to the dtype, as the reduction through float32 does.
  return acc.to(type).to(torch::kFloat64);
}

TEST(Runtime, AcceptsAlreadyInitialisedMpiAndReportsRanks) {
  int argc = 0;
  char** argv = nullptr;
  Runtime runtime(&argc, &argv);
  int rank = -1, size = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(runtime.info().rank, rank);
  EXPECT_EQ(runtime.info().size, size);
  EXPECT_GE(runtime.info().local_rank, 0);
  EXPECT_LT(runtime.info().local_rank, runtime.info().local_size);
  EXPECT_EQ(runtime.info().local_size, size);  // mpirun on one machine
  EXPECT_FALSE(runtime.info().hostname.empty());
  EXPECT_FALSE(Runtime::mpi_library_version().empty());
  EXPECT_EQ(Runtime::mpi_library_version().find('\n'), std::string::npos);
  // The destructor must not finalise MPI that the test main initialised.
}

TEST(MpiCommunicator, AllReduceEveryDtypeOpAndOddSize) {
  auto comm = make_mpi();
  EXPECT_EQ(comm->name(), "mpi");
  const std::vector<torch::ScalarType> types = {torch::kFloat32, torch::kFloat64, torch::kInt32,
                                                torch::kInt64,   torch::kUInt8,   torch::kFloat16,
                                                torch::kBFloat16};
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1001}, (int64_t{1} << 20) + 3}) {
    for (auto type : types) {
      for (auto op : {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kMin}) {
        if (n > 1001 && op != ReduceOp::kSum) continue;  // the large size once per dtype
        torch::Tensor t = input(comm->rank(), n, type);
        comm->all_reduce(t, op);
        ASSERT_EQ(t.scalar_type(), type);
        ASSERT_EQ(t.numel(), n);
        ASSERT_TRUE(torch::equal(t.to(torch::kFloat64), expected(comm->size(), n, type, op)))
            << "n=" << n << " dtype=" << type << " op=" << static_cast<int>(op);
      }
    }
  }
}

TEST(MpiCommunicator, AllReduceNonContiguousWritesBack) {
  auto comm = make_mpi();
  torch::Tensor base = input(comm->rank(), 6 * 5, torch::kFloat32).reshape({6, 5});
  torch::Tensor view = base.t();  // not contiguous
  comm->all_reduce(view);
  auto want = expected(comm->size(), 30, torch::kFloat32, ReduceOp::kSum).reshape({6, 5});
  EXPECT_TRUE(torch::equal(base.to(torch::kFloat64), want));
}

TEST(MpiCommunicator, AsyncAllReducesCompleteInAnyWaitOrder) {
  auto comm = make_mpi();
  std::vector<torch::Tensor> tensors;
  std::vector<std::unique_ptr<Work>> works;
  for (int i = 0; i < 5; ++i) {
    tensors.push_back(input(comm->rank(), 1001 + i, torch::kFloat32));
    works.push_back(comm->all_reduce_async(tensors.back()));
  }
  for (int i = 4; i >= 0; --i) works[i]->wait();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(works[i]->is_completed());
    EXPECT_TRUE(torch::equal(tensors[i].to(torch::kFloat64),
                             expected(comm->size(), 1001 + i, torch::kFloat32, ReduceOp::kSum)));
  }
  torch::Tensor half = input(comm->rank(), 7, torch::kFloat16);
  auto work = comm->all_reduce_async(half, ReduceOp::kMax);
  work->wait();
  EXPECT_TRUE(torch::equal(half.to(torch::kFloat64),
                           expected(comm->size(), 7, torch::kFloat16, ReduceOp::kMax)));
}

TEST(MpiCommunicator, BroadcastFromNonZeroRoot) {
  auto comm = make_mpi();
  const int root = comm->size() - 1;
  for (auto type : {torch::kFloat32, torch::kFloat64, torch::kInt32, torch::kInt64, torch::kUInt8,
                    torch::kFloat16, torch::kBFloat16}) {
    for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1001}}) {
      torch::Tensor t = input(comm->rank(), n, type);
      comm->broadcast(t, root);
      EXPECT_TRUE(torch::equal(t, input(root, n, type))) << type << " n=" << n;
    }
  }
  EXPECT_THROW(
      {
        torch::Tensor t = torch::zeros({1});
        comm->broadcast(t, comm->size());
      },
      DistributedError);
}

TEST(MpiCommunicator, AllGatherStacksEveryRank) {
  auto comm = make_mpi();
  for (auto type : {torch::kFloat32, torch::kInt64, torch::kUInt8, torch::kFloat16}) {
    torch::Tensor mine = input(comm->rank(), 2 * 7, type).reshape({2, 7});
    torch::Tensor all = comm->all_gather(mine);
    ASSERT_EQ(all.sizes(), (std::vector<int64_t>{comm->size(), 2, 7}));
    for (int r = 0; r < comm->size(); ++r)
      EXPECT_TRUE(torch::equal(all[r], input(r, 14, type).reshape({2, 7}))) << type << " r=" << r;
  }
  torch::Tensor scalar = torch::tensor(static_cast<int64_t>(comm->rank() * 10));
  torch::Tensor gathered = comm->all_gather(scalar.reshape({}));
  ASSERT_EQ(gathered.sizes(), (std::vector<int64_t>{comm->size()}));
  for (int r = 0; r < comm->size(); ++r) EXPECT_EQ(gathered[r].item<int64_t>(), r * 10);
}

TEST(MpiCommunicator, BarrierAndUnsupportedInputs) {
  auto comm = make_mpi();
  comm->barrier();
  torch::Tensor flags = torch::ones({3}, torch::kBool);
  EXPECT_THROW(comm->all_reduce(flags), DistributedError);  // checked locally: nothing issued
  torch::Tensor undefined;
  EXPECT_THROW(comm->all_reduce(undefined), DistributedError);
  comm->barrier();
}

// Rank 0 enters a barrier that the others join only after its deadline: rank 0 gets a
// DistributedError naming the collective, and the barrier still completes later (the others do
// join, while rank 0 drives MPI's progress from a second communicator), so no unmatched collective
// is left behind.
TEST(MpiCommunicator, MissingPeerTimesOutWithContext) {
  auto short_comm = make_mpi(/*timeout_s=*/1.0);
  auto long_comm = make_mpi(/*timeout_s=*/60.0);
  if (short_comm->size() < 2) GTEST_SKIP() << "needs two ranks";
  short_comm->barrier();  // #0: everyone is here
  if (short_comm->rank() == 0) {
    const auto start = std::chrono::steady_clock::now();
    try {
      short_comm->barrier();  // #1
      ADD_FAILURE() << "the barrier should have timed out";
    } catch (const DistributedError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("barrier #1"), std::string::npos) << message;
      EXPECT_NE(message.find("rank 0"), std::string::npos) << message;
      EXPECT_NE(message.find("did not complete"), std::string::npos) << message;
    }
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(waited, 0.9);
    EXPECT_LT(waited, 2.4);
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    short_comm->barrier();  // #1: matches rank 0's abandoned request
  }
  long_comm->barrier();
  // #2: the communicator that timed out is usable again once its peers caught up.
  torch::Tensor t = torch::ones({5});
  short_comm->all_reduce(t);
  EXPECT_TRUE(torch::equal(t, torch::full({5}, static_cast<float>(short_comm->size()))));
}

}  // namespace
}  // namespace fct::distributed
