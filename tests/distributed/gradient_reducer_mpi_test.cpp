// GradientReducer under mpirun: bucket layout, start-up checks and broadcast, and the defining
// property of data parallelism: W ranks on B/W samples each end with the weights of 1 rank on B.
#include <gtest/gtest.h>

#include <numeric>

#include "framework/core/error.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/gradient_reducer.h"

namespace fct::distributed {
namespace {

std::unique_ptr<Communicator> make_mpi() {
  CommunicatorOptions options;
  options.timeout_s = 60.0;
  return make_communicator("mpi", options);
}

// conv + relu + linear, no BatchNorm, plus a layer that forward() never uses (its gradient is
// missing on every rank and must come out as zeros without a hang).
struct NetImpl : torch::nn::Module {
  NetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)));
    fc = register_module("fc", torch::nn::Linear(4 * 6 * 6, 5));
    unused = register_module("unused", torch::nn::Linear(3, 2));
  }
  torch::Tensor forward(torch::Tensor x) { return fc(torch::relu(conv(x)).flatten(1)); }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear fc{nullptr}, unused{nullptr};
};
TORCH_MODULE(Net);

void copy_parameters(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto source = from.parameters();
  auto target = to.parameters();
  for (std::size_t i = 0; i < source.size(); ++i) target[i].copy_(source[i]);
}

TEST(GradientReducer, TwoRanksMatchOneRankWithTheFullBatch) {
  auto comm = make_mpi();
  const int world = comm->size();
  const int rank = comm->rank();
  const int64_t per_rank = 4;
  const int64_t batch = per_rank * world;

  torch::manual_seed(42);
  Net reference;
  Net replica;
  copy_parameters(*reference, *replica);
  if (rank != 0) {  // the reducer must make every rank start from rank 0's weights
    torch::NoGradGuard no_grad;
    for (auto& p : replica->parameters()) p.add_(rank);
  }
  torch::manual_seed(7);  // the same data on every rank
  torch::Tensor x = torch::randn({batch, 3, 6, 6});
  torch::Tensor y = torch::randint(0, 5, {batch}, torch::kInt64);

  ReducerOptions options;
  options.first_bucket_mb = 200.0 / (1024 * 1024);  // several buckets, ready out of order
  options.bucket_mb = 2000.0 / (1024 * 1024);
  GradientReducer reducer(*replica, *comm, options);
  EXPECT_GT(reducer.bucket_params().size(), 2u);

  torch::optim::SGD reference_sgd(reference->parameters(),
                                  torch::optim::SGDOptions(0.1).momentum(0.9));
  torch::optim::SGD replica_sgd(replica->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  for (int step = 0; step < 6; ++step) {
    reference_sgd.zero_grad();
    torch::nn::functional::cross_entropy(reference->forward(x), y).backward();
    reference_sgd.step();

    replica_sgd.zero_grad();
    torch::Tensor xs = x.narrow(0, rank * per_rank, per_rank);
    torch::Tensor ys = y.narrow(0, rank * per_rank, per_rank);
    torch::nn::functional::cross_entropy(replica->forward(xs), ys).backward();
    reducer.finish_backward();
    replica_sgd.step();
  }
  auto expected = reference->named_parameters();
  auto actual = replica->named_parameters();
  for (const auto& item : expected) {
    const torch::Tensor& got = actual[item.key()];
    EXPECT_TRUE(torch::allclose(got, item.value(), /*rtol=*/1e-5, /*atol=*/1e-5))
        << item.key() << " max diff " << (got - item.value()).abs().max().item<float>();
  }
  ASSERT_TRUE(replica->unused->weight.grad().defined());
  EXPECT_EQ(replica->unused->weight.grad().abs().sum().item<float>(), 0.0f);
  EXPECT_GE(reducer.wait_seconds(), 0.0);
  reducer.reset_timers();
  EXPECT_EQ(reducer.wait_seconds(), 0.0);
}

struct StackImpl : torch::nn::Module {
  StackImpl() {
    for (int i = 0; i < 6; ++i)
      layers.push_back(register_module("layer" + std::to_string(i), torch::nn::Linear(64, 64)));
  }
  std::vector<torch::nn::Linear> layers;
};
TORCH_MODULE(Stack);

TEST(GradientReducer, BucketsHoldEveryParameterOnceInReverseOrderWithinCaps) {
  auto comm = make_mpi();
  Stack model;
  ReducerOptions options;
  options.first_bucket_mb = 20000.0 / (1024 * 1024);  // one 64x64 float weight is 16384 bytes
  options.bucket_mb = 40000.0 / (1024 * 1024);
  GradientReducer reducer(*model, *comm, options);
  auto params = model->parameters();
  const auto& buckets = reducer.bucket_params();
  ASSERT_GT(buckets.size(), 1u);

  std::vector<std::size_t> flat;
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    ASSERT_FALSE(buckets[b].empty());
    double bytes = 0;
    for (auto i : buckets[b]) bytes += params[i].numel() * params[i].element_size();
    const double cap = (b == 0 ? options.first_bucket_mb : options.bucket_mb) * 1024 * 1024;
    if (buckets[b].size() > 1) EXPECT_LE(bytes, cap) << "bucket " << b;
    flat.insert(flat.end(), buckets[b].begin(), buckets[b].end());
  }
  std::vector<std::size_t> reverse(params.size());
  std::iota(reverse.rbegin(), reverse.rend(), std::size_t{0});
  EXPECT_EQ(flat, reverse);  // every parameter once, last registered first
  // The first bucket is the small one: the last layer's bias and weight and the bias before them
  // (256 + 16384 + 256 bytes <= 20000); the next weight would overflow it.
  EXPECT_EQ(buckets[0], (std::vector<std::size_t>{11, 10, 9}));
  EXPECT_EQ(buckets[1], (std::vector<std::size_t>{8, 7, 6, 5}));  // 33280 <= 40000
  double first_bytes = 0;
  for (auto i : buckets[0]) first_bytes += params[i].numel() * params[i].element_size();
  EXPECT_LE(first_bytes, options.first_bucket_mb * 1024 * 1024);

  ReducerOptions defaults;  // 1 MiB first bucket holds this whole model (~100 KB)
  Stack other;
  GradientReducer default_reducer(*other, *comm, defaults);
  EXPECT_EQ(default_reducer.bucket_params().size(), 1u);
}

TEST(GradientReducer, ShapeMismatchAcrossRanksNamesTheParameter) {
  auto comm = make_mpi();
  if (comm->size() < 2) GTEST_SKIP() << "needs two ranks";
  torch::nn::Sequential model(torch::nn::Linear(4, 3),
                              torch::nn::Linear(3, comm->rank() == 1 ? 6 : 5));
  try {
    GradientReducer reducer(*model, *comm);
    FAIL() << "expected a DistributedError on rank " << comm->rank();
  } catch (const DistributedError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'1.weight'"), std::string::npos) << message;
    EXPECT_NE(message.find("rank 1: parameter '1.weight' Float[6, 3]"), std::string::npos)
        << message;
    EXPECT_NE(message.find("[5, 3]"), std::string::npos) << message;
  }
  comm->barrier();  // every rank threw after the same collectives: still in step
}

TEST(GradientReducer, ConstructionBroadcastsBuffersAndAverageBuffersAverages) {
  auto comm = make_mpi();
  const int world = comm->size();
  torch::nn::BatchNorm1d bn(3);
  {
    torch::NoGradGuard no_grad;
    bn->running_mean.fill_(static_cast<float>(comm->rank() + 1));
    bn->num_batches_tracked.fill_(comm->rank() + 10);
  }
  GradientReducer reducer(*bn, *comm);
  EXPECT_TRUE(torch::equal(bn->running_mean, torch::ones({3})));  // rank 0's
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 10);
  {
    torch::NoGradGuard no_grad;
    bn->running_mean.fill_(static_cast<float>(comm->rank()));
    bn->running_var.fill_(2.0f);
    bn->num_batches_tracked.fill_(comm->rank() + 20);
  }
  reducer.average_buffers();
  const float mean = (world - 1) / 2.0f;
  EXPECT_TRUE(torch::allclose(bn->running_mean, torch::full({3}, mean)));
  EXPECT_TRUE(torch::allclose(bn->running_var, torch::full({3}, 2.0f)));
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 20);
}

}  // namespace
}  // namespace fct::distributed
