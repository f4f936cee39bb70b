// MpiCommunicator: CPU collectives as non-blocking MPI calls polled against a deadline.
#include "framework/distributed/mpi_communicator.h"

#include <climits>
#include <sstream>

#include "framework/core/error.h"
#include "framework/distributed/deadline_wait.h"

namespace fct::distributed {

struct MpiCommunicator::Pending {
  std::string what;  // "all_reduce #12 (sum, Float[1001])": the collective in error messages
  MPI_Request request = MPI_REQUEST_NULL;
  torch::Tensor target;  // the caller's tensor; gets `buffer` copied in when they differ
  torch::Tensor buffer;  // the memory MPI reads and writes
  torch::Tensor input;   // kept alive for MPI to read (all_gather)
  SteadyClock::time_point deadline;
  bool done = false;
  std::string failure;  // set once the collective timed out or failed
};

namespace {

std::string op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return "sum";
    case ReduceOp::kMax:
      return "max";
    case ReduceOp::kMin:
      return "min";
  }
  return "?";
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return MPI_SUM;
    case ReduceOp::kMax:
      return MPI_MAX;
    case ReduceOp::kMin:
      return MPI_MIN;
  }
  return MPI_SUM;
}

// MPI_DATATYPE_NULL for dtypes MPI cannot reduce natively.
MPI_Datatype mpi_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return MPI_FLOAT;
    case torch::kFloat64:
      return MPI_DOUBLE;
    case torch::kInt32:
      return MPI_INT32_T;
    case torch::kInt64:
      return MPI_INT64_T;
    case torch::kUInt8:
      return MPI_UINT8_T;
    case torch::kInt8:
      return MPI_INT8_T;
    case torch::kInt16:
      return MPI_INT16_T;
    default:
      return MPI_DATATYPE_NULL;
  }
}

std::string describe(const torch::Tensor& tensor) {
  std::ostringstream out;
  out << tensor.scalar_type() << tensor.sizes();
  return out.str();
}

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return std::string(text, length);
}

void check_tensor(const torch::Tensor& tensor, const std::string& collective) {
  if (!tensor.defined())
    throw DistributedError("mpi communicator: " + collective + " got an undefined tensor");
  if (!tensor.device().is_cpu())
    throw DistributedError("mpi communicator: " + collective + " got a tensor on " +
                           tensor.device().str() +
                           "; the 'mpi' communicator handles CPU tensors ('nccl' handles CUDA)");
  if (tensor.is_sparse())
    throw DistributedError("mpi communicator: " + collective + " does not take sparse tensors");
}

int checked_count(int64_t count, const std::string& what) {
  if (count > INT_MAX)
    throw DistributedError("mpi communicator: " + what + " has " + std::to_string(count) +
                           " elements, more than an MPI count can hold (" +
                           std::to_string(INT_MAX) + "); split the tensor");
  return static_cast<int>(count);
}

}  // namespace

// The Work of one MPI request. Dropping it early hands the request back to the communicator, which
// keeps the buffers alive until MPI is done with them.
class MpiWork : public Work {
 public:
  MpiWork(MpiCommunicator& comm, std::shared_ptr<MpiCommunicator::Pending> pending)
      : comm_(comm), pending_(std::move(pending)) {}
  ~MpiWork() override {
    if (!pending_->done) comm_.adopt(std::move(pending_));
  }
  void wait() override { comm_.wait(*pending_); }
  bool is_completed() override { return comm_.test(*pending_); }

 private:
  MpiCommunicator& comm_;
  std::shared_ptr<MpiCommunicator::Pending> pending_;
};

MpiCommunicator::MpiCommunicator(const CommunicatorOptions& options)
    : timeout_s_(options.timeout_s) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized)
    throw DistributedError(
        "mpi communicator: MPI is not initialised (create a distributed::Runtime first)");
  if (!(timeout_s_ > 0))
    throw DistributedError("mpi communicator: timeout_s must be > 0, got " +
                           std::to_string(timeout_s_));
  // A private communicator: its collectives cannot match MPI calls made elsewhere in the process,
  // and errors come back as codes (-> exceptions) instead of aborting inside MPI.
  int code = MPI_Comm_dup(MPI_COMM_WORLD, &comm_);
  if (code != MPI_SUCCESS)
    throw DistributedError("mpi communicator: MPI_Comm_dup failed: " + mpi_error_text(code));
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  std::lock_guard<std::recursive_mutex> lock(mpi_mutex_);
  reap_orphans();
  if (!orphans_.empty()) {
    // A timed-out collective may still write into its buffers whenever the peers arrive: leak them
    // (and the communicator) rather than free memory MPI still owns. The job is about to abort.
    new std::vector<std::shared_ptr<Pending>>(std::move(orphans_));
    return;
  }
  MPI_Comm_free(&comm_);
}

std::unique_ptr<Work> MpiCommunicator::start(
    const std::string& what, torch::Tensor target, torch::Tensor buffer, torch::Tensor input,
    const std::function<int(MPI_Comm, MPI_Request*)>& launch) {
  auto pending = std::make_shared<Pending>();
  pending->target = std::move(target);
  pending->buffer = std::move(buffer);
  pending->input = std::move(input);
  {
    std::lock_guard<std::recursive_mutex> lock(mpi_mutex_);
    reap_orphans();
    pending->what = what.substr(0, what.find(' ')) + " #" + std::to_string(sequence_++) +
                    what.substr(std::min(what.size(), what.find(' ')));
    pending->deadline = deadline_after(timeout_s_);
    const int code = launch(comm_, &pending->request);
    if (code != MPI_SUCCESS)
      throw DistributedError("MPI " + pending->what + " failed to start on rank " +
                             std::to_string(rank_) + ": " + mpi_error_text(code));
  }
  return std::make_unique<MpiWork>(*this, std::move(pending));
}

bool MpiCommunicator::test(Pending& pending) {
  if (pending.done) return true;
  if (!pending.failure.empty()) throw DistributedError(pending.failure);
  int flag = 0;
  {
    std::lock_guard<std::recursive_mutex> lock(mpi_mutex_);
    const int code = MPI_Test(&pending.request, &flag, MPI_STATUS_IGNORE);
    if (code != MPI_SUCCESS) {
      pending.failure = "MPI " + pending.what + " failed on rank " + std::to_string(rank_) +
                        " of " + std::to_string(size_) + ": " + mpi_error_text(code);
      throw DistributedError(pending.failure);
    }
  }
  if (!flag) return false;
  pending.done = true;
  if (pending.target.defined() && !pending.target.is_same(pending.buffer)) {
    torch::NoGradGuard no_grad;
    pending.target.copy_(pending.buffer);  // back from the float32 / contiguous staging copy
  }
  pending.buffer = torch::Tensor();
  pending.input = torch::Tensor();
  return true;
}

void MpiCommunicator::wait(Pending& pending) {
  if (poll_until([&] { return test(pending); }, pending.deadline)) return;
  pending.failure = "MPI " + pending.what + " on rank " + std::to_string(rank_) + " of " +
                    std::to_string(size_) + " did not complete within " +
                    std::to_string(timeout_s_) +
                    " s: a peer rank is missing, slow, or issued a different collective";
  throw DistributedError(pending.failure);
}

void MpiCommunicator::adopt(std::shared_ptr<Pending> pending) {
  std::lock_guard<std::recursive_mutex> lock(mpi_mutex_);
  orphans_.push_back(std::move(pending));
}

void MpiCommunicator::reap_orphans() {
  std::vector<std::shared_ptr<Pending>> still_running;
  for (auto& orphan : orphans_) {
    int flag = 0;
    if (MPI_Test(&orphan->request, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS || !flag)
      still_running.push_back(std::move(orphan));
  }
  orphans_ = std::move(still_running);
}

std::unique_ptr<Work> MpiCommunicator::all_reduce_async(torch::Tensor tensor, ReduceOp op) {
  check_tensor(tensor, "all_reduce");
  const auto type = tensor.scalar_type();
  torch::Tensor buffer;
  if (type == torch::kHalf || type == torch::kBFloat16) {
    buffer = tensor.to(torch::kFloat32).contiguous();  // MPI has no 16-bit float reductions
  } else if (mpi_type(type) != MPI_DATATYPE_NULL) {
    buffer = tensor.is_contiguous() ? tensor : tensor.contiguous();
  } else {
    throw DistributedError("mpi communicator: all_reduce does not support dtype " +
                           std::string(c10::toString(type)) +
                           " (float32, float64, float16, bfloat16, int8/16/32/64, uint8)");
  }
  const std::string what = "all_reduce (" + op_name(op) + ", " + describe(tensor) + ")";
  const int count = checked_count(buffer.numel(), what);
  void* data = buffer.data_ptr();
  const MPI_Datatype datatype = mpi_type(buffer.scalar_type());
  return start(what, tensor, buffer, {}, [=](MPI_Comm comm, MPI_Request* request) {
    return MPI_Iallreduce(MPI_IN_PLACE, data, count, datatype, mpi_op(op), comm, request);
  });
}

void MpiCommunicator::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  all_reduce_async(tensor, op)->wait();
}

void MpiCommunicator::broadcast(torch::Tensor& tensor, int root) {
  check_tensor(tensor, "broadcast");
  if (root < 0 || root >= size_)
    throw DistributedError("mpi communicator: broadcast root " + std::to_string(root) +
                           " is not a rank of a job of size " + std::to_string(size_));
  torch::Tensor buffer = tensor.is_contiguous() ? tensor : tensor.contiguous();
  const std::string what =
      "broadcast (root " + std::to_string(root) + ", " + describe(tensor) + ")";
  // Bytes: a broadcast only moves data, so every dtype (half, bool, ...) goes the same way.
  const int bytes = checked_count(buffer.numel() * buffer.element_size(), what + " in bytes");
  void* data = buffer.data_ptr();
  start(what, tensor, buffer, {}, [=](MPI_Comm comm, MPI_Request* request) {
    return MPI_Ibcast(data, bytes, MPI_BYTE, root, comm, request);
  })->wait();
}

torch::Tensor MpiCommunicator::all_gather(const torch::Tensor& tensor) {
  check_tensor(tensor, "all_gather");
  torch::Tensor input = tensor.contiguous();
  std::vector<int64_t> shape{size_};
  shape.insert(shape.end(), input.sizes().begin(), input.sizes().end());
  torch::Tensor output = torch::empty(shape, input.options());
  const std::string what = "all_gather (" + describe(tensor) + ")";
  const int bytes = checked_count(input.numel() * input.element_size(), what + " in bytes");
  const void* send = input.data_ptr();
  void* receive = output.data_ptr();
  start(what, {}, output, input, [=](MPI_Comm comm, MPI_Request* request) {
    return MPI_Iallgather(send, bytes, MPI_BYTE, receive, bytes, MPI_BYTE, comm, request);
  })->wait();
  return output;
}

void MpiCommunicator::barrier() {
  start("barrier", {}, {}, {}, [](MPI_Comm comm, MPI_Request* request) {
    return MPI_Ibarrier(comm, request);
  })->wait();
}

}  // namespace fct::distributed
