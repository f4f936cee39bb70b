#include "framework/distributed/agreement.h"

#include <algorithm>
#include <cstring>

#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace fct::distributed {

std::string broadcast_text(Communicator& comm, const std::string& text, int root) {
  auto size = torch::tensor({static_cast<int64_t>(text.size())}, torch::kInt64).to(comm.device());
  comm.broadcast(size, root);
  const int64_t length = size.to(torch::kCPU)[0].item<int64_t>();
  if (length == 0) return std::string();
  torch::Tensor bytes = torch::empty({length}, torch::kUInt8);
  if (comm.rank() == root) std::memcpy(bytes.data_ptr<uint8_t>(), text.data(), text.size());
  bytes = bytes.to(comm.device());
  comm.broadcast(bytes, root);
  bytes = bytes.to(torch::kCPU);
  return std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()),
                     static_cast<std::size_t>(length));
}

std::vector<bool> same_on_all_ranks(Communicator& comm, const std::vector<uint64_t>& values) {
  // One all-reduce (minimum) of the values and their complements gives the minimum and the
  // maximum of each at once. The bits travel as int64: the order differs from uint64's, but
  // min == max exactly when all are equal in any total order.
  const auto n = static_cast<int64_t>(values.size());
  if (n == 0) return {};
  torch::Tensor both = torch::empty({2 * n}, torch::kInt64);
  auto* data = both.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    data[i] = static_cast<int64_t>(values[static_cast<std::size_t>(i)]);
    data[n + i] = ~data[i];
  }
  both = both.to(comm.device());
  comm.all_reduce(both, ReduceOp::kMin);
  both = both.to(torch::kCPU);
  data = both.data_ptr<int64_t>();
  std::vector<bool> same(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) same[static_cast<std::size_t>(i)] = data[i] == ~data[n + i];
  return same;
}

void check_same_on_all_ranks(Communicator& comm, uint64_t value, const std::string& what) {
  auto mine = torch::tensor({static_cast<int64_t>(value)}, torch::kInt64).to(comm.device());
  torch::Tensor all = comm.all_gather(mine).to(torch::kCPU).reshape({-1});
  std::vector<uint64_t> values;
  for (int r = 0; r < comm.size(); ++r)
    values.push_back(static_cast<uint64_t>(all[r].item<int64_t>()));
  bool same = std::all_of(values.begin(), values.end(), [&](uint64_t v) { return v == values[0]; });
  if (same) return;
  std::string text;
  for (int r = 0; r < comm.size(); ++r)
    text += (r ? ", " : "") + ("rank " + std::to_string(r) + ": " + to_hex(values[r]));
  throw DistributedError(what + " differs across ranks (" + text + "); seen on rank " +
                         std::to_string(comm.rank()));
}

bool any_rank(Communicator& comm, bool flag) {
  auto value = torch::tensor({flag ? int64_t{1} : int64_t{0}}, torch::kInt64).to(comm.device());
  comm.all_reduce(value, ReduceOp::kMax);
  return value.to(torch::kCPU)[0].item<int64_t>() != 0;
}

}  // namespace fct::distributed
