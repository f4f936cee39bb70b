// GradientReducer: averages gradients across ranks in buckets that overlap with the backward pass.
#include "framework/distributed/gradient_reducer.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace fct::distributed {

// Note [Gradient buckets]
// ~~~~~~~~~~~~~~~~~~~~~~~
// One all-reduce per parameter would pay the collective's latency hundreds of times per step; one
// all-reduce of everything after backward() would leave the network idle during the whole backward
// pass. So, as PyTorch DDP and Horovod's tensor fusion do, gradients are packed into buckets (flat
// tensors of one dtype) and each bucket is all-reduced as soon as its last gradient exists, while
// autograd keeps computing the gradients of earlier layers.
//
// * Order. Backward produces gradients roughly in REVERSE registration order (the last layer's
//   first), so parameters are assigned to buckets walking parameters() backwards: bucket 0 holds
//   the last layers and fills first.
// * Sizes. Bucket 0 is small (first_bucket_mb, 1 MiB by default) so that its all-reduce starts
//   early instead of waiting for a large bucket to fill; the others are capped at bucket_mb
//   (25 MiB), large enough to amortise the latency. A parameter larger than the cap gets a bucket
//   of its own.
// * Averaging. Each gradient is multiplied by 1/world while it is copied into its bucket slot (one
//   pass over the data instead of a copy and a later division), so the all-reduce SUM is the mean.
// * Launch order. Collectives match across ranks by the order in which they are issued, not by
//   name. Gradients may become ready in a different order on different ranks (thread scheduling,
//   unused parameters), so buckets are always LAUNCHED IN BUCKET INDEX ORDER: a bucket that fills
//   early waits until every bucket before it has been launched. Launching in ready order could pair
//   rank 0's bucket 3 with rank 1's bucket 2: wrong sums or a hang.
// * Progress. Open MPI has no asynchronous progress thread; a non-blocking collective advances only
//   while the process is inside MPI. Every gradient hook therefore tests the oldest outstanding
//   bucket (Work::is_completed), which moves the transfers along during backward.
// * Unused parameters. A parameter that got no gradient on this rank in this step contributes
//   zeros: finish_backward() zeroes its slot and launches the remaining buckets, so every rank
//   issues the same collectives whatever its graph was.
// * The gradient hook is a tensor hook on the parameter: it sees the gradient of this backward
//   pass before autograd accumulates it into .grad, and finish_backward() then REPLACES .grad with
//   the average (callers zero gradients every step; accumulation across backward passes without
//   a finish_backward() in between is not supported and throws).

namespace {

constexpr std::size_t kNoBucket = std::numeric_limits<std::size_t>::max();
constexpr double kMiB = 1024.0 * 1024.0;
constexpr int64_t kCoalesceBytes = 64 << 20;  // start-up broadcasts in chunks of this size

std::string shape_text(const torch::Tensor& tensor) {
  std::ostringstream out;
  out << tensor.scalar_type() << tensor.sizes();
  return out.str();
}

// Runs `collective` on flat concatenations of `tensors` (consecutive runs of one dtype and device,
// up to kCoalesceBytes), then copies the result back: few large collectives instead of many small.
template <class Collective>
void coalesced(const std::vector<torch::Tensor>& tensors, Collective&& collective) {
  torch::NoGradGuard no_grad;
  std::size_t begin = 0;
  while (begin < tensors.size()) {
    std::size_t end = begin + 1;
    int64_t bytes = tensors[begin].numel() * tensors[begin].element_size();
    while (end < tensors.size() && tensors[end].scalar_type() == tensors[begin].scalar_type() &&
           tensors[end].device() == tensors[begin].device() &&
           bytes + tensors[end].numel() * tensors[end].element_size() <= kCoalesceBytes) {
      bytes += tensors[end].numel() * tensors[end].element_size();
      ++end;
    }
    std::vector<torch::Tensor> flat_parts;
    for (std::size_t i = begin; i < end; ++i) flat_parts.push_back(tensors[i].reshape({-1}));
    torch::Tensor flat = torch::cat(flat_parts);
    collective(flat);
    int64_t offset = 0;
    for (std::size_t i = begin; i < end; ++i) {
      torch::Tensor target = tensors[i];
      target.copy_(flat.narrow(0, offset, target.numel()).view(target.sizes()));
      offset += target.numel();
    }
    begin = end;
  }
}

// All ranks' copies of `text` (an all_gather of the padded bytes).
std::vector<std::string> gather_text(Communicator& comm, const std::string& text) {
  auto length = torch::tensor({static_cast<int64_t>(text.size())}, torch::kInt64);
  torch::Tensor lengths = comm.all_gather(length);
  int64_t longest = lengths.max().item<int64_t>();
  auto bytes = torch::zeros({std::max<int64_t>(longest, 1)}, torch::kUInt8);
  std::memcpy(bytes.data_ptr(), text.data(), text.size());
  torch::Tensor all = comm.all_gather(bytes);
  std::vector<std::string> result;
  for (int r = 0; r < comm.size(); ++r)
    result.emplace_back(reinterpret_cast<const char*>(all[r].data_ptr()),
                        static_cast<std::size_t>(lengths[r].item<int64_t>()));
  return result;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "ranks 0, 2: <entry>; rank 1: <entry>": each distinct entry with the ranks that have it.
std::string group_by_value(const std::vector<std::string>& per_rank) {
  std::vector<std::pair<std::string, std::vector<int>>> groups;
  for (int r = 0; r < static_cast<int>(per_rank.size()); ++r) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == per_rank[r]; });
    if (it == groups.end()) {
      groups.push_back({per_rank[r], {r}});
    } else {
      it->second.push_back(r);
    }
  }
  std::string text;
  for (const auto& [value, ranks] : groups) {
    if (!text.empty()) text += "; ";
    text += ranks.size() == 1 ? "rank " : "ranks ";
    for (std::size_t i = 0; i < ranks.size(); ++i)
      text += (i ? ", " : "") + std::to_string(ranks[i]);
    text += ": " + value;
  }
  return text;
}

struct Bucket {
  std::vector<std::size_t> params;  // indices into parameters(), in bucket order
  torch::Tensor buffer;             // flat; each parameter owns a slot
  std::size_t pending = 0;          // gradients still missing in this step
  std::unique_ptr<Work> work;
  bool completed = false;
};

struct Slot {
  std::size_t bucket = kNoBucket;
  int64_t offset = 0;
};

}  // namespace

struct GradientReducer::Impl {
  Communicator& comm;
  ReducerOptions options;
  std::vector<std::string> names;
  std::vector<torch::Tensor> params;  // registration order
  std::vector<std::string> buffer_names;
  std::vector<torch::Tensor> buffers;
  std::vector<Slot> slots;      // per parameter
  std::vector<bool> ready;      // per parameter: gradient seen in this step
  std::vector<unsigned> hooks;  // per parameter (only those in a bucket)
  std::vector<Bucket> buckets;
  std::vector<std::vector<std::size_t>> layout;
  std::size_t next_launch = 0;  // buckets [0, next_launch) are launched
  std::size_t next_check = 0;   // buckets [0, next_check) are known complete
  double wait_seconds = 0.0;
  std::mutex mutex;  // hooks may run on autograd worker threads

  Impl(torch::nn::Module& module, Communicator& c, ReducerOptions o) : comm(c), options(o) {
    for (const auto& item : module.named_parameters(/*recurse=*/true)) {
      names.push_back(item.key());
      params.push_back(item.value());
    }
    for (const auto& item : module.named_buffers(/*recurse=*/true)) {
      if (!item.value().defined()) continue;
      buffer_names.push_back(item.key());
      buffers.push_back(item.value());
    }
  }

  void verify_model_across_ranks();
  void broadcast_state();
  void assign_buckets();
  void install_hooks();
  void mark_ready(std::size_t index, const torch::Tensor& grad);
  void launch_in_order();
  void progress();
  void reset_step();
};

// DDP's _verify_model_across_ranks: one hash all-gather when all is well; the details only when a
// hash differs, so that the message can name the first differing parameter and the ranks.
void GradientReducer::Impl::verify_model_across_ranks() {
  std::string text;
  for (std::size_t i = 0; i < params.size(); ++i)
    text += "parameter '" + names[i] + "' " + shape_text(params[i]) +
            (params[i].requires_grad() ? "" : " (frozen)") + "\n";
  for (std::size_t i = 0; i < buffers.size(); ++i)
    text += "buffer '" + buffer_names[i] + "' " + shape_text(buffers[i]) + "\n";
  const uint64_t hash = fnv1a(text);
  auto mine = torch::tensor({static_cast<int64_t>(hash)}, torch::kInt64);
  torch::Tensor hashes = comm.all_gather(mine);
  if ((hashes == hashes[0]).all().item<bool>()) return;

  // Every rank sees the mismatch, so every rank takes part in this gather and throws.
  const auto texts = gather_text(comm, text);
  std::vector<std::vector<std::string>> lines;
  std::size_t longest = 0;
  for (const auto& t : texts) {
    lines.push_back(split_lines(t));
    longest = std::max(longest, lines.back().size());
  }
  for (std::size_t i = 0; i < longest; ++i) {
    std::vector<std::string> entries;
    for (const auto& rank_lines : lines)
      entries.push_back(i < rank_lines.size() ? rank_lines[i] : "(no such entry)");
    if (std::all_of(entries.begin(), entries.end(), [&](const auto& e) { return e == entries[0]; }))
      continue;
    throw DistributedError("GradientReducer: the model differs across ranks at entry " +
                           std::to_string(i) + " (first difference): " + group_by_value(entries) +
                           ". Every rank must build the same model.");
  }
  throw DistributedError("GradientReducer: the model description hashes differ across ranks");
}

// DDP's _sync_params_and_buffers: every rank starts from rank 0's weights.
void GradientReducer::Impl::broadcast_state() {
  std::vector<torch::Tensor> state;
  for (const auto& p : params) state.push_back(p.detach());
  for (const auto& b : buffers) state.push_back(b.detach());
  coalesced(state, [&](torch::Tensor& flat) { comm.broadcast(flat, 0); });
}

void GradientReducer::Impl::assign_buckets() {
  slots.assign(params.size(), Slot{});
  for (std::size_t k = params.size(); k-- > 0;) {  // reverse registration order
    const torch::Tensor& p = params[k];
    if (!p.requires_grad()) continue;
    const double bytes = static_cast<double>(p.numel() * p.element_size());
    bool open_new = buckets.empty();
    if (!open_new) {
      const Bucket& current = buckets.back();
      const torch::Tensor& first = params[current.params.front()];
      double used = 0;
      for (auto i : current.params)
        used += static_cast<double>(params[i].numel() * params[i].element_size());
      const double cap = (buckets.size() == 1 ? options.first_bucket_mb : options.bucket_mb) * kMiB;
      open_new = first.scalar_type() != p.scalar_type() || first.device() != p.device() ||
                 used + bytes > cap;
    }
    if (open_new) buckets.emplace_back();
    buckets.back().params.push_back(k);
  }
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    Bucket& bucket = buckets[b];
    int64_t numel = 0;
    for (auto k : bucket.params) {
      slots[k] = Slot{b, numel};
      numel += params[k].numel();
    }
    const torch::Tensor& first = params[bucket.params.front()];
    bucket.buffer = torch::zeros(
        {numel}, torch::TensorOptions().dtype(first.scalar_type()).device(first.device()));
    bucket.pending = bucket.params.size();
    layout.push_back(bucket.params);
  }
  ready.assign(params.size(), false);
}

void GradientReducer::Impl::install_hooks() {
  hooks.assign(params.size(), 0);
  for (std::size_t k = 0; k < params.size(); ++k) {
    if (slots[k].bucket == kNoBucket) continue;
    hooks[k] = params[k].register_hook([this, k](torch::Tensor grad) { mark_ready(k, grad); });
  }
}

void GradientReducer::Impl::mark_ready(std::size_t index, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex);
  if (ready[index])
    throw DistributedError("GradientReducer: parameter '" + names[index] +
                           "' got a second gradient before finish_backward(); call "
                           "finish_backward() after every backward pass");
  if (grad.is_sparse())
    throw DistributedError("GradientReducer: parameter '" + names[index] +
                           "' has a sparse gradient, which is not supported");
  const Slot& slot = slots[index];
  Bucket& bucket = buckets[slot.bucket];
  {
    torch::NoGradGuard no_grad;
    torch::Tensor view = bucket.buffer.narrow(0, slot.offset, params[index].numel());
    // Copy and average in one pass (see Note [Gradient buckets]).
    torch::mul_out(view, grad.reshape({-1}),
                   torch::scalar_tensor(1.0 / comm.size(), view.options()));
  }
  ready[index] = true;
  --bucket.pending;
  launch_in_order();
  progress();
}

void GradientReducer::Impl::launch_in_order() {
  while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
    Bucket& bucket = buckets[next_launch];
    bucket.work = comm.all_reduce_async(bucket.buffer, ReduceOp::kSum);
    ++next_launch;
  }
}

void GradientReducer::Impl::progress() {
  while (next_check < next_launch && buckets[next_check].work->is_completed()) {
    buckets[next_check].completed = true;
    ++next_check;
  }
}

void GradientReducer::Impl::reset_step() {
  for (auto& bucket : buckets) {
    bucket.pending = bucket.params.size();
    bucket.work.reset();
    bucket.completed = false;
  }
  ready.assign(params.size(), false);
  next_launch = 0;
  next_check = 0;
}

GradientReducer::GradientReducer(torch::nn::Module& module, Communicator& comm,
                                 ReducerOptions options)
    : impl_(std::make_unique<Impl>(module, comm, options)) {
  if (!(options.bucket_mb > 0) || !(options.first_bucket_mb > 0))
    throw Error("GradientReducer: bucket_mb and first_bucket_mb must be > 0");
  impl_->verify_model_across_ranks();
  impl_->broadcast_state();
  impl_->assign_buckets();
  impl_->install_hooks();
}

GradientReducer::~GradientReducer() {
  if (!impl_) return;
  for (std::size_t k = 0; k < impl_->params.size(); ++k)
    if (impl_->slots.size() == impl_->params.size() && impl_->slots[k].bucket != kNoBucket)
      impl_->params[k].remove_hook(impl_->hooks[k]);
}

void GradientReducer::finish_backward() {
  Impl& s = *impl_;
  std::lock_guard<std::mutex> lock(s.mutex);
  struct ResetOnExit {  // even after a failure, the next step starts clean
    Impl& impl;
    ~ResetOnExit() { impl.reset_step(); }
  } reset{s};

  {
    torch::NoGradGuard no_grad;
    for (std::size_t b = s.next_launch; b < s.buckets.size(); ++b) {
      Bucket& bucket = s.buckets[b];
      for (auto k : bucket.params)
        if (!s.ready[k]) bucket.buffer.narrow(0, s.slots[k].offset, s.params[k].numel()).zero_();
      bucket.pending = 0;
    }
  }
  s.launch_in_order();

  const auto start = std::chrono::steady_clock::now();
  for (auto& bucket : s.buckets)
    if (!bucket.completed) bucket.work->wait();
  s.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  torch::NoGradGuard no_grad;
  for (auto& bucket : s.buckets) {
    for (auto k : bucket.params) {
      torch::Tensor& param = s.params[k];
      torch::Tensor average =
          bucket.buffer.narrow(0, s.slots[k].offset, param.numel()).view(param.sizes());
      torch::Tensor& grad = param.mutable_grad();
      if (grad.defined() && grad.sizes() == param.sizes() && !grad.is_sparse()) {
        grad.copy_(average);
      } else {
        grad = average.clone();  // the bucket is reused next step: .grad gets its own memory
      }
    }
  }
}

void GradientReducer::average_buffers() {
  Impl& s = *impl_;
  std::vector<torch::Tensor> floating;
  std::vector<torch::Tensor> other;
  for (const auto& b : s.buffers) (b.is_floating_point() ? floating : other).push_back(b.detach());
  const double world = s.comm.size();
  coalesced(floating, [&](torch::Tensor& flat) {
    s.comm.all_reduce(flat, ReduceOp::kSum);
    flat.div_(world);
  });
  // Counters (num_batches_tracked) cannot be averaged meaningfully: take rank 0's.
  coalesced(other, [&](torch::Tensor& flat) { s.comm.broadcast(flat, 0); });
}

const std::vector<std::vector<std::size_t>>& GradientReducer::bucket_params() const {
  return impl_->layout;
}

double GradientReducer::wait_seconds() const {
  return impl_->wait_seconds;
}

void GradientReducer::reset_timers() {
  impl_->wait_seconds = 0.0;
}

}  // namespace fct::distributed
