// NcclCommunicator: CUDA collectives over NCCL, bootstrapped by MPI, with deadlines and abort.
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <sstream>

#include "framework/core/error.h"
#include "framework/distributed/deadline_wait.h"
#include "framework/distributed/mpi_c.h"
#include "framework/distributed/nccl_communicator.h"

namespace fct::distributed {
namespace {

std::string cuda_text(cudaError_t code) {
  return std::string(cudaGetErrorName(code)) + ": " + cudaGetErrorString(code);
}

void check_cuda(cudaError_t code, const std::string& what) {
  if (code != cudaSuccess)
    throw DistributedError("nccl communicator: " + what + " failed: " + cuda_text(code));
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return ncclSum;
    case ReduceOp::kMax:
      return ncclMax;
    case ReduceOp::kMin:
      return ncclMin;
  }
  return ncclSum;
}

std::string op_name(ReduceOp op) {
  return op == ReduceOp::kSum ? "sum" : op == ReduceOp::kMax ? "max" : "min";
}

bool nccl_type(torch::ScalarType type, ncclDataType_t* out) {
  switch (type) {
    case torch::kFloat32:
      *out = ncclFloat32;
      return true;
    case torch::kFloat16:
      *out = ncclFloat16;
      return true;
    case torch::kBFloat16:
      *out = ncclBfloat16;
      return true;
    case torch::kFloat64:
      *out = ncclFloat64;
      return true;
    case torch::kInt32:
      *out = ncclInt32;
      return true;
    case torch::kInt64:
      *out = ncclInt64;
      return true;
    case torch::kUInt8:
      *out = ncclUint8;
      return true;
    case torch::kInt8:
      *out = ncclInt8;
      return true;
    default:
      return false;
  }
}

std::string describe(const torch::Tensor& tensor) {
  std::ostringstream out;
  out << tensor.scalar_type() << tensor.sizes() << " on " << tensor.device();
  return out.str();
}

// Polls an MPI request against a deadline (bootstrap only: the id broadcast and barriers).
void wait_mpi(MPI_Request* request, SteadyClock::time_point deadline, const std::string& what,
              int rank) {
  int flag = 0;
  auto done = [&] {
    if (MPI_Test(request, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS)
      throw DistributedError("nccl communicator: MPI " + what + " failed on rank " +
                             std::to_string(rank));
    return flag != 0;
  };
  if (!poll_until(done, deadline))
    throw DistributedError("nccl communicator: MPI " + what + " on rank " + std::to_string(rank) +
                           " did not complete in time: a peer rank is missing or slow");
}

}  // namespace

// Host memory staged through the device: pinned so that the copy back is truly asynchronous and
// cannot block the host past the deadline.
struct Staging {
  void* device = nullptr;
  void* pinned = nullptr;
  std::size_t bytes = 0;
  torch::Tensor host;  // copied back into on completion when defined
};

struct NcclCommunicator::Impl {
  int rank = 0;
  int size = 1;
  int device = 0;
  double timeout_s = 300.0;
  MPI_Comm bootstrap = MPI_COMM_NULL;  // private MPI communicator for the id and barriers
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  uint64_t sequence = 0;
  bool aborted = false;
  std::string abort_reason;
  std::mutex mutex;  // NCCL calls on one communicator must not interleave across threads

  ~Impl();
  void abort(const std::string& reason);
  void check_usable() const {
    if (aborted)
      throw DistributedError("nccl communicator on rank " + std::to_string(rank) +
                             " was aborted after an earlier failure: " + abort_reason);
  }
  // Must be called with `mutex` held.
  void check_nccl(ncclResult_t result, const std::string& what) {
    if (result == ncclSuccess || result == ncclInProgress) return;
    std::string message = "nccl communicator: " + what + " failed on rank " + std::to_string(rank) +
                          ": " + ncclGetErrorString(result);
    const char* last = comm ? ncclGetLastError(comm) : nullptr;
    if (last && *last) message += std::string(" (") + last + ")";
    abort(message);
    throw DistributedError(message);
  }
  void prepare(torch::Tensor& tensor, bool is_output, std::vector<Staging>& staging, void** pointer,
               const std::string& what);
};

void NcclCommunicator::Impl::abort(const std::string& reason) {
  if (aborted) return;
  aborted = true;
  abort_reason = reason;
  if (comm) ncclCommAbort(comm);  // unblocks kernels waiting on peers that will never come
  comm = nullptr;
}

NcclCommunicator::Impl::~Impl() {
  cudaSetDevice(device);
  if (comm) {
    // With work still queued (a dropped or timed-out Work) ncclCommDestroy could wait for peers
    // forever; abort instead.
    if (cudaStreamQuery(stream) == cudaSuccess)
      ncclCommDestroy(comm);
    else
      ncclCommAbort(comm);
  }
  if (stream) cudaStreamDestroy(stream);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && bootstrap != MPI_COMM_NULL) MPI_Comm_free(&bootstrap);
}

// Device pointer of `tensor` for NCCL: CUDA tensors directly, CPU tensors through staging.
void NcclCommunicator::Impl::prepare(torch::Tensor& tensor, bool is_output,
                                     std::vector<Staging>& staging, void** pointer,
                                     const std::string& what) {
  if (tensor.is_cuda()) {
    if (tensor.device().index() != device)
      throw DistributedError("nccl communicator: " + what + " got a tensor on " +
                             tensor.device().str() +
                             " but this rank's device is cuda:" + std::to_string(device));
    if (!tensor.is_contiguous())
      throw DistributedError("nccl communicator: " + what + " needs a contiguous tensor");
    *pointer = tensor.data_ptr();
    return;
  }
  if (!tensor.device().is_cpu())
    throw DistributedError("nccl communicator: " + what + " got a tensor on " +
                           tensor.device().str());
  Staging stage;
  stage.bytes = static_cast<std::size_t>(tensor.numel()) * tensor.element_size();
  const std::size_t bytes = std::max<std::size_t>(stage.bytes, 1);
  check_cuda(cudaMalloc(&stage.device, bytes), "cudaMalloc for staging " + what);
  check_cuda(cudaMallocHost(&stage.pinned, bytes), "cudaMallocHost for staging " + what);
  torch::Tensor host = tensor.contiguous();
  if (stage.bytes) std::memcpy(stage.pinned, host.data_ptr(), stage.bytes);
  check_cuda(
      cudaMemcpyAsync(stage.device, stage.pinned, stage.bytes, cudaMemcpyHostToDevice, stream),
      "staging copy to the device");
  if (is_output) stage.host = tensor;
  *pointer = stage.device;
  staging.push_back(std::move(stage));
}

namespace {

// One collective on the private stream: completion is `done`; the tensors stay alive until then.
class NcclWork : public Work {
 public:
  NcclWork(std::shared_ptr<NcclCommunicator::Impl> impl, std::string what, cudaEvent_t done,
           std::vector<torch::Tensor> keep_alive, std::vector<Staging> staging)
      : impl_(std::move(impl)),
        what_(std::move(what)),
        done_(done),
        keep_alive_(std::move(keep_alive)),
        staging_(std::move(staging)),
        deadline_(deadline_after(impl_->timeout_s)) {}

  ~NcclWork() override {
    cudaEventDestroy(done_);  // released by CUDA once the event has completed
    if (!completed_) return;  // staging memory may still be in use by a stuck kernel: leak it
    for (auto& stage : staging_) {
      cudaFree(stage.device);
      cudaFreeHost(stage.pinned);
    }
  }

  bool is_completed() override {
    if (completed_) return true;
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->check_usable();
    ncclResult_t async = ncclSuccess;
    ncclCommGetAsyncError(impl_->comm, &async);
    if (async != ncclSuccess && async != ncclInProgress) {
      const std::string message = "NCCL " + what_ + " on rank " + std::to_string(impl_->rank) +
                                  " failed asynchronously: " + ncclGetErrorString(async);
      impl_->abort(message);
      throw DistributedError(message);
    }
    const cudaError_t state = cudaEventQuery(done_);
    if (state == cudaErrorNotReady) return false;
    if (state != cudaSuccess) {
      const std::string message =
          "NCCL " + what_ + " on rank " + std::to_string(impl_->rank) + ": " + cuda_text(state);
      impl_->abort(message);
      throw DistributedError(message);
    }
    completed_ = true;
    for (auto& stage : staging_)
      if (stage.host.defined() && stage.bytes) {
        torch::NoGradGuard no_grad;
        torch::Tensor host = stage.host;
        torch::Tensor staged = torch::from_blob(stage.pinned, host.sizes(), host.options());
        host.copy_(staged);
      }
    return true;
  }

  void wait() override {
    if (!poll_until([&] { return is_completed(); }, deadline_)) {
      std::lock_guard<std::mutex> lock(impl_->mutex);
      const std::string message =
          "NCCL " + what_ + " on rank " + std::to_string(impl_->rank) + " of " +
          std::to_string(impl_->size) + " did not complete within " +
          std::to_string(impl_->timeout_s) +
          " s: a peer rank is missing, slow, or issued a different collective; communicator "
          "aborted";
      impl_->abort(message);
      throw DistributedError(message);
    }
    // The legacy default stream (where the caller's work runs) continues only after the result.
    cudaSetDevice(impl_->device);
    cudaStreamWaitEvent(cudaStreamLegacy, done_, 0);
  }

 private:
  std::shared_ptr<NcclCommunicator::Impl> impl_;
  std::string what_;
  cudaEvent_t done_;
  std::vector<torch::Tensor> keep_alive_;
  std::vector<Staging> staging_;
  SteadyClock::time_point deadline_;
  bool completed_ = false;
};

// Runs `collective` on the private stream, ordered after everything already queued on the legacy
// default stream (where the caller produced the inputs), and returns its Work.
template <class Collective>
std::unique_ptr<Work> launch(const std::shared_ptr<NcclCommunicator::Impl>& impl,
                             const std::string& name, const std::string& details,
                             std::vector<torch::Tensor> tensors, std::vector<bool> is_output,
                             Collective&& collective) {
  std::lock_guard<std::mutex> lock(impl->mutex);
  impl->check_usable();
  const std::string what = name + " #" + std::to_string(impl->sequence++) + " (" + details + ")";
  check_cuda(cudaSetDevice(impl->device), "cudaSetDevice");
  cudaEvent_t ready = nullptr;
  check_cuda(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming), "cudaEventCreate");
  check_cuda(cudaEventRecord(ready, cudaStreamLegacy), "cudaEventRecord");
  check_cuda(cudaStreamWaitEvent(impl->stream, ready, 0), "cudaStreamWaitEvent");
  cudaEventDestroy(ready);

  std::vector<Staging> staging;
  std::vector<void*> pointers(tensors.size(), nullptr);
  try {
    for (std::size_t i = 0; i < tensors.size(); ++i)
      impl->prepare(tensors[i], is_output[i], staging, &pointers[i], what);
  } catch (...) {
    cudaStreamSynchronize(impl->stream);  // nothing of ours is queued yet but the staging copies
    for (auto& stage : staging) {
      cudaFree(stage.device);
      cudaFreeHost(stage.pinned);
    }
    throw;
  }
  impl->check_nccl(collective(pointers, impl->comm, impl->stream), what);
  for (auto& stage : staging)
    if (stage.host.defined())
      check_cuda(cudaMemcpyAsync(stage.pinned, stage.device, stage.bytes, cudaMemcpyDeviceToHost,
                                 impl->stream),
                 "staging copy to the host");
  cudaEvent_t done = nullptr;
  check_cuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreate");
  check_cuda(cudaEventRecord(done, impl->stream), "cudaEventRecord");
  return std::make_unique<NcclWork>(impl, what, done, std::move(tensors), std::move(staging));
}

}  // namespace

NcclCommunicator::NcclCommunicator(const CommunicatorOptions& options)
    : impl_(std::make_shared<Impl>()) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized)
    throw DistributedError(
        "nccl communicator: MPI is not initialised (create a distributed::Runtime first)");
  if (!(options.timeout_s > 0)) throw DistributedError("nccl communicator: timeout_s must be > 0");
  impl_->timeout_s = options.timeout_s;
  impl_->device = options.device_index;
  MPI_Comm_rank(MPI_COMM_WORLD, &impl_->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &impl_->size);
  const int rank = impl_->rank;
  const auto deadline = deadline_after(options.timeout_s);

  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Comm_idup(MPI_COMM_WORLD, &impl_->bootstrap, &request);
  wait_mpi(&request, deadline, "communicator duplication", rank);
  MPI_Comm_set_errhandler(impl_->bootstrap, MPI_ERRORS_RETURN);

  // Every rank takes part in the id broadcast before any local check can throw, so that one rank
  // without a GPU fails everywhere instead of leaving its peers in the broadcast.
  ncclUniqueId id;
  std::memset(&id, 0, sizeof(id));
  std::string local_error;
  int device_count = 0;
  const cudaError_t count_state = cudaGetDeviceCount(&device_count);
  if (count_state != cudaSuccess)
    local_error = "cudaGetDeviceCount failed: " + cuda_text(count_state);
  else if (options.device_index < 0 || options.device_index >= device_count)
    local_error = "CUDA device " + std::to_string(options.device_index) + " requested but " +
                  std::to_string(device_count) + " visible";
  if (rank == 0 && local_error.empty()) {
    const ncclResult_t result = ncclGetUniqueId(&id);
    if (result != ncclSuccess)
      local_error = std::string("ncclGetUniqueId failed: ") + ncclGetErrorString(result);
  }
  int local_failed = local_error.empty() ? 0 : 1;
  int any_failed = 0;
  MPI_Iallreduce(&local_failed, &any_failed, 1, MPI_INT, MPI_MAX, impl_->bootstrap, &request);
  wait_mpi(&request, deadline, "start-up check", rank);
  if (any_failed)
    throw DistributedError(
        "nccl communicator: cannot start on rank " + std::to_string(rank) +
        (local_error.empty() ? ": another rank failed to start" : ": " + local_error));
  MPI_Ibcast(&id, sizeof(id), MPI_BYTE, 0, impl_->bootstrap, &request);
  wait_mpi(&request, deadline, "broadcast of the NCCL id", rank);

  check_cuda(cudaSetDevice(impl_->device), "cudaSetDevice(" + std::to_string(impl_->device) + ")");
  check_cuda(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamNonBlocking), "cudaStreamCreate");
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    impl_->check_nccl(ncclCommInitRank(&impl_->comm, impl_->size, id, rank), "ncclCommInitRank");
  }
  // As Horovod: the barrier lets every rank finish NCCL's set-up before the first collective.
  barrier();
}

NcclCommunicator::~NcclCommunicator() = default;

int NcclCommunicator::rank() const {
  return impl_->rank;
}
int NcclCommunicator::size() const {
  return impl_->size;
}
torch::Device NcclCommunicator::device() const {
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(impl_->device));
}
MPI_Comm NcclCommunicator::mpi_comm() const {
  return impl_->bootstrap;
}

std::unique_ptr<Work> NcclCommunicator::all_reduce_async(torch::Tensor tensor, ReduceOp op) {
  if (!tensor.defined()) throw DistributedError("nccl communicator: all_reduce got no tensor");
  ncclDataType_t type;
  if (!nccl_type(tensor.scalar_type(), &type))
    throw DistributedError("nccl communicator: all_reduce does not support dtype " +
                           std::string(c10::toString(tensor.scalar_type())));
  const auto count = static_cast<std::size_t>(tensor.numel());
  const ncclRedOp_t nccl_reduce = nccl_op(op);
  return launch(impl_, "all_reduce", op_name(op) + ", " + describe(tensor), {tensor}, {true},
                [=](const std::vector<void*>& p, ncclComm_t comm, cudaStream_t stream) {
                  return ncclAllReduce(p[0], p[0], count, type, nccl_reduce, comm, stream);
                });
}

void NcclCommunicator::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  all_reduce_async(tensor, op)->wait();
}

void NcclCommunicator::broadcast(torch::Tensor& tensor, int root) {
  if (!tensor.defined()) throw DistributedError("nccl communicator: broadcast got no tensor");
  if (root < 0 || root >= impl_->size)
    throw DistributedError("nccl communicator: broadcast root " + std::to_string(root) +
                           " is not a rank of a job of size " + std::to_string(impl_->size));
  // Bytes: a broadcast only moves data, so every dtype goes the same way.
  const auto bytes = static_cast<std::size_t>(tensor.numel()) * tensor.element_size();
  launch(impl_, "broadcast", "root " + std::to_string(root) + ", " + describe(tensor), {tensor},
         {true},
         [=](const std::vector<void*>& p, ncclComm_t comm, cudaStream_t stream) {
           return ncclBroadcast(p[0], p[0], bytes, ncclUint8, root, comm, stream);
         })
      ->wait();
}

torch::Tensor NcclCommunicator::all_gather(const torch::Tensor& tensor) {
  if (!tensor.defined()) throw DistributedError("nccl communicator: all_gather got no tensor");
  std::vector<int64_t> shape{impl_->size};
  shape.insert(shape.end(), tensor.sizes().begin(), tensor.sizes().end());
  torch::Tensor output;
  if (!tensor.is_cuda() || torch::hasCUDA()) {
    output = torch::empty(shape, tensor.options());
  } else {
    // A CPU-only LibTorch cannot allocate CUDA memory: allocate it here and hand it to a tensor.
    void* memory = nullptr;
    const std::size_t bytes = std::max<std::size_t>(
        1, static_cast<std::size_t>(tensor.numel()) * impl_->size * tensor.element_size());
    check_cuda(cudaSetDevice(impl_->device), "cudaSetDevice");
    check_cuda(cudaMalloc(&memory, bytes), "cudaMalloc for all_gather");
    output = at::for_blob(memory, shape)
                 .options(tensor.options())
                 .target_device(tensor.device())
                 .deleter([](void* p) { cudaFree(p); })
                 .make_tensor();
  }
  const auto bytes = static_cast<std::size_t>(tensor.numel()) * tensor.element_size();
  launch(impl_, "all_gather", describe(tensor), {tensor, output}, {false, true},
         [=](const std::vector<void*>& p, ncclComm_t comm, cudaStream_t stream) {
           return ncclAllGather(p[0], p[1], bytes, ncclUint8, comm, stream);
         })
      ->wait();
  return output;
}

void NcclCommunicator::barrier() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  const std::string what = "barrier #" + std::to_string(impl_->sequence++);
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Ibarrier(impl_->bootstrap, &request);
  wait_mpi(&request, deadline_after(impl_->timeout_s), what, impl_->rank);
}

}  // namespace fct::distributed
