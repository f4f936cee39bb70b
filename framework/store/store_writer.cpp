#include "framework/store/store_writer.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"
#include "framework/distributed/agreement.h"
#include "framework/store/hdf5_util.h"

namespace fct::store {
namespace {

using detail::check_id;
using detail::check_status;
using detail::Hid;

// The most bytes one rank hands to one H5Dwrite call: larger blocks are written in several
// collective rounds (MPI-IO counts are int, and 2 GiB transfers are fragile in HDF5 1.10).
int64_t max_bytes_per_transfer = int64_t{1} << 30;

struct ColumnSpec {
  std::string name;
  int64_t width = 0;  // 0: a 1-D column
  bool is_float = true;

  int rank() const { return width > 0 ? 2 : 1; }
  int64_t row_bytes() const { return std::max<int64_t>(1, width) * (is_float ? 4 : 8); }
  torch::ScalarType dtype() const { return is_float ? torch::kFloat32 : torch::kInt64; }
};

// Room for the superblock, the datasets' headers and the attributes beside the columns' bytes.
constexpr int64_t kMetadataBytes = 1 << 20;

std::string megabytes(int64_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

// "" when the file system holding `file` has `needed` bytes free, else what to tell the user.
std::string space_problem(const std::string& file, int64_t needed) {
  const auto directory = std::filesystem::path(file).parent_path();
  struct statvfs info {};
  if (::statvfs(directory.empty() ? "." : directory.c_str(), &info) != 0) return "";
  const auto free = static_cast<int64_t>(info.f_bavail) * static_cast<int64_t>(info.f_frsize);
  if (free >= needed) return "";
  return "no space left on the device for it: it needs " + megabytes(needed) + ", " +
         directory.string() + " has " + megabytes(free) + " free";
}

// Allocates `needed` bytes to the (open) file without changing its size, so that the collective
// writes cannot run out of space half-way; "" when done or when the file system cannot do it.
std::string reserve_space(const std::string& file, int64_t needed) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return "";
  const int result = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, needed);
  const int error = result == 0 ? 0 : errno;
  ::close(fd);
  if (error == ENOSPC) return "no space left on the device to reserve " + megabytes(needed);
  return "";
}

std::vector<ColumnSpec> columns_of(const StoreLayout& layout) {
  std::vector<ColumnSpec> columns = {
      {kEmbeddings, layout.embedding_dim, true}, {kLabels, 0, false}, {kIds, 0, false}};
  if (layout.side_info_dim > 0) columns.push_back({kSideInfo, layout.side_info_dim, true});
  // Width 0: an int64 [N] column.
  for (const auto& [name, width] : layout.extra_columns) {
    columns.push_back({name, width, width > 0});
  }
  return columns;
}

std::string describe(const StoreLayout& layout) {
  std::string text = std::to_string(layout.rows) + " rows, embeddings " +
                     std::to_string(layout.embedding_dim) + ", side_info " +
                     std::to_string(layout.side_info_dim);
  for (const auto& [name, width] : layout.extra_columns) {
    text += ", " + name + " " + std::to_string(width);
  }
  return text;
}

std::string describe(const torch::Tensor& t) {
  return dtype_name(t.scalar_type()) + " " + shape_string(t.sizes().vec());
}

// Each rank stamps `created` itself and two ranks may fall on either side of a second: the store
// records rank 0's time rather than failing the argument check below.
void use_rank0_creation_time(distributed::Communicator& comm, Attributes& attributes) {
  const auto it = attributes.find(attribute::kCreated);
  const bool absent_somewhere = distributed::any_rank(comm, it == attributes.end());
  if (absent_somewhere) return;  // the argument check names the difference
  it->second = distributed::broadcast_text(comm, it->second);
}

// Throws on every rank (the outcome is the same everywhere) when the ranks pass different
// arguments to the collective constructor.
void require_same_arguments(distributed::Communicator& comm, const std::string& path,
                            const StoreLayout& layout, const Attributes& attributes) {
  const std::string where = "store " + path + ": ";
  std::string keys, key_list;
  for (const auto& [key, value] : attributes) {
    keys += key;
    keys.push_back('\0');
    key_list += (key_list.empty() ? "" : ", ") + key;
  }
  const auto same =
      distributed::same_on_all_ranks(comm, {fnv1a(path), fnv1a(describe(layout)), fnv1a(keys)});
  if (!same[0]) {
    throw DistributedError(
        where + "the ranks pass different paths to StoreWriter (this rank: " + path + ")");
  }
  if (!same[1]) {
    throw DistributedError(where + "the ranks pass different layouts to StoreWriter (this rank: " +
                           describe(layout) + ")");
  }
  if (!same[2]) {
    throw DistributedError(
        where + "the ranks pass different attribute names to StoreWriter (this rank: " + key_list +
        ")");
  }
  std::vector<uint64_t> values;
  for (const auto& entry : attributes) values.push_back(fnv1a(entry.second));
  const auto same_values = distributed::same_on_all_ranks(comm, values);
  std::string differing;
  std::size_t i = 0;
  for (const auto& entry : attributes) {
    if (!same_values[i++]) differing += (differing.empty() ? "'" : ", '") + entry.first + "'";
  }
  if (!differing.empty()) {
    throw DistributedError(where + "the ranks pass different values for the attribute(s) " +
                           differing + " to StoreWriter");
  }
}

void validate(const std::string& path, const StoreLayout& layout, const Attributes& attributes) {
  const std::string where = "store " + path + ": ";
  if (layout.rows < 0) throw Error(where + "layout with " + std::to_string(layout.rows) + " rows");
  if (layout.embedding_dim < 1) {
    throw Error(where + "embedding_dim must be at least 1, got " +
                std::to_string(layout.embedding_dim));
  }
  if (layout.side_info_dim < 0) {
    throw Error(where + "side_info_dim must be 0 (none) or more, got " +
                std::to_string(layout.side_info_dim));
  }
  std::set<std::string> names = {kEmbeddings, kLabels, kIds, kSideInfo};
  for (const auto& [name, width] : layout.extra_columns) {
    if (name.empty() || name == "." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos) {
      throw Error(where + "invalid extra column name '" + name + "'");
    }
    if (!names.insert(name).second) {
      throw Error(where + "extra column '" + name + "' repeats a column name");
    }
    if (width < 0) {
      throw Error(where + "extra column '" + name +
                  "' must have a width of at least 1 (float32) or 0 (int64 [N]), got " +
                  std::to_string(width));
    }
  }
  for (const auto& [key, value] : attributes) {
    if (key.empty() || key.find('\0') != std::string::npos) {
      throw Error(where + "invalid attribute name '" + key + "'");
    }
    if (key == kVersionAttribute) {
      throw Error(where + "the attribute '" + key + "' is written by the store itself");
    }
    if (value.find('\0') != std::string::npos) {
      throw Error(where + "the attribute '" + key + "' contains a NUL character");
    }
  }
}

}  // namespace

int64_t detail::set_max_transfer_bytes(int64_t bytes) {
  if (bytes < 1) throw Error("set_max_transfer_bytes: " + std::to_string(bytes) + " bytes");
  const int64_t previous = max_bytes_per_transfer;
  max_bytes_per_transfer = bytes;
  return previous;
}

struct StoreWriter::Impl {
  explicit Impl(distributed::Communicator& c) : comm(c) {}

  distributed::Communicator& comm;     // every agreement between the ranks
  MPI_Comm hdf5_comm = MPI_COMM_NULL;  // a duplicate of comm's MPI communicator, for MPI-IO only
  int rank = 0;
  int world = 1;
  std::string path;
  std::string temporary;
  StoreLayout layout;
  std::vector<ColumnSpec> columns;
  Hid file;
  std::vector<Hid> datasets;                         // one per column
  Hid transfer;                                      // collective transfer property list
  std::vector<std::pair<int64_t, int64_t>> written;  // [begin, end) of every rank's writes
  bool created = false;                              // the temporary file may exist
  bool committed = false;

  ~Impl();
  std::string where() const { return "store " + path; }
  void create(const Attributes& attributes);
  int64_t prepare(int64_t first_row, const StoreRows& rows, std::vector<torch::Tensor>& data) const;
  void write_column(std::size_t c, int64_t first_row, int64_t n, int64_t max_rows,
                    const torch::Tensor& values);
};

void StoreWriter::Impl::create(const Attributes& attributes) {
  // The temporary name is rank 0's (temporary_path_for names it after the process).
  std::string problem;
  if (rank == 0) {
    try {
      const std::filesystem::path target(path);
      if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
      temporary = temporary_path_for(path);
    } catch (const std::exception& e) {
      problem = e.what();
    }
  }
  problem = distributed::broadcast_text(comm, problem);
  temporary = distributed::broadcast_text(comm, temporary);
  if (!problem.empty()) throw Error(where() + ": cannot create its directory: " + problem);
  // Note [A full disk]: parallel HDF5 cannot close a file after a collective write failed on
  // some ranks only (the ranks' metadata caches disagree and H5Fclose deadlocks), so a store that
  // cannot fit is refused before anything is written, and its space is reserved once created.
  int64_t needed = kMetadataBytes;
  for (const ColumnSpec& column : columns) needed += layout.rows * column.row_bytes();
  if (rank == 0) problem = space_problem(temporary, needed);
  problem = distributed::broadcast_text(comm, problem);
  if (!problem.empty()) throw Error(where() + ": " + problem);

  Hid access(check_id(H5Pcreate(H5P_FILE_ACCESS), where() + ": H5Pcreate"), H5Pclose);
  check_status(H5Pset_fapl_mpio(access.get(), hdf5_comm, MPI_INFO_NULL),
               where() + ": cannot select the MPI-IO driver");
  check_status(H5Pset_all_coll_metadata_ops(access.get(), true),
               where() + ": cannot select collective metadata reads");
  check_status(H5Pset_coll_metadata_write(access.get(), true),
               where() + ": cannot select collective metadata writes");
  created = true;
  const hid_t id = H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get());
  const std::string reason = id < 0 ? detail::hdf5_reason() : "";
  const bool failed = id < 0;
  if (distributed::any_rank(comm, failed)) {
    // Where this rank succeeded, closing would be a collective that the failed ranks never
    // join: the identifier is left open rather than risk a hang.
    throw Error(where() + ": cannot create " + temporary + ": " +
                (failed ? reason : std::string("failed on another rank")));
  }
  file = Hid(id, H5Fclose);
  if (rank == 0) problem = reserve_space(temporary, needed);
  problem = distributed::broadcast_text(comm, problem);
  if (!problem.empty()) throw Error(where() + ": " + problem);

  Hid creation(check_id(H5Pcreate(H5P_DATASET_CREATE), where() + ": H5Pcreate"), H5Pclose);
  check_status(H5Pset_layout(creation.get(), H5D_CONTIGUOUS), where() + ": H5Pset_layout");
  check_status(H5Pset_alloc_time(creation.get(), H5D_ALLOC_TIME_EARLY),
               where() + ": H5Pset_alloc_time");
  check_status(H5Pset_fill_time(creation.get(), H5D_FILL_TIME_NEVER),
               where() + ": H5Pset_fill_time");
  for (const ColumnSpec& column : columns) {
    const hsize_t dims[2] = {static_cast<hsize_t>(layout.rows),
                             static_cast<hsize_t>(std::max<int64_t>(column.width, 1))};
    Hid space(check_id(H5Screate_simple(column.rank(), dims, nullptr), where() + ": H5Screate"),
              H5Sclose);
    const hid_t type = column.is_float ? H5T_IEEE_F32LE : H5T_STD_I64LE;
    datasets.emplace_back(check_id(H5Dcreate2(file.get(), column.name.c_str(), type, space.get(),
                                              H5P_DEFAULT, creation.get(), H5P_DEFAULT),
                                   where() + ": cannot create the dataset '" + column.name + "'"),
                          H5Dclose);
  }

  Attributes all = attributes;
  all[kVersionAttribute] = kStoreVersion;
  Hid text(check_id(H5Tcopy(H5T_C_S1), where() + ": H5Tcopy"), H5Tclose);
  check_status(H5Tset_size(text.get(), H5T_VARIABLE), where() + ": H5Tset_size");
  check_status(H5Tset_cset(text.get(), H5T_CSET_UTF8), where() + ": H5Tset_cset");
  Hid scalar(check_id(H5Screate(H5S_SCALAR), where() + ": H5Screate"), H5Sclose);
  for (const auto& [key, value] : all) {
    Hid attribute(check_id(H5Acreate2(file.get(), key.c_str(), text.get(), scalar.get(),
                                      H5P_DEFAULT, H5P_DEFAULT),
                           where() + ": cannot create the attribute '" + key + "'"),
                  H5Aclose);
    const char* data = value.c_str();
    check_status(H5Awrite(attribute.get(), text.get(), &data),
                 where() + ": cannot write the attribute '" + key + "'");
  }

  transfer = Hid(check_id(H5Pcreate(H5P_DATASET_XFER), where() + ": H5Pcreate"), H5Pclose);
  check_status(H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_COLLECTIVE),
               where() + ": cannot select collective transfers");
}

StoreWriter::Impl::~Impl() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) {
    // HDF5 shut down with MPI: its identifiers are gone and MPI may no longer be called.
    for (auto& dataset : datasets) dataset.release();
    transfer.release();
    file.release();
    if (created && !committed && rank == 0) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
    }
    return;
  }
  {
    detail::QuietHdf5 quiet;
    for (auto& dataset : datasets) dataset.reset();
    transfer.reset();
    file.reset();  // collective
    H5Eclear2(H5E_DEFAULT);
  }
  if (created && !committed) {
    if (rank == 0) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
    }
    try {
      comm.barrier();  // every rank returns once the temporary is gone
    } catch (const std::exception&) {
      // A peer is gone (the collective timed out): the job is ending with its own error.
    }
  }
  if (hdf5_comm != MPI_COMM_NULL) MPI_Comm_free(&hdf5_comm);
}

StoreWriter::StoreWriter(distributed::Communicator& comm, std::string path, StoreLayout layout,
                         Attributes attributes)
    : impl_(std::make_unique<Impl>(comm)) {
  detail::QuietHdf5 quiet;
  Impl& s = *impl_;
  s.path = std::move(path);
  s.layout = std::move(layout);
  s.rank = comm.rank();
  s.world = comm.size();
  use_rank0_creation_time(s.comm, attributes);
  require_same_arguments(s.comm, s.path, s.layout, attributes);
  if (s.path.empty()) throw Error("StoreWriter: empty path");
  validate(s.path, s.layout, attributes);
  s.columns = columns_of(s.layout);
  MPI_Comm_dup(comm.mpi_comm(), &s.hdf5_comm);  // HDF5's collectives never mix with the caller's
  s.create(attributes);
}

StoreWriter::~StoreWriter() = default;

const std::string& StoreWriter::path() const {
  return impl_->path;
}

const std::string& StoreWriter::temporary_path() const {
  return impl_->temporary;
}

const StoreLayout& StoreWriter::layout() const {
  return impl_->layout;
}

int64_t StoreWriter::Impl::prepare(int64_t first_row, const StoreRows& rows,
                                   std::vector<torch::Tensor>& data) const {
  const std::string where = this->where() + ": write_rows: ";
  for (const auto& entry : rows.extra) {
    const bool known = std::any_of(layout.extra_columns.begin(), layout.extra_columns.end(),
                                   [&](const auto& column) { return column.first == entry.first; });
    if (!known) {
      std::string names;
      for (const auto& column : layout.extra_columns) {
        names += (names.empty() ? "" : ", ") + column.first;
      }
      throw Error(where + "the store has no column '" + entry.first +
                  "' (extra columns: " + (names.empty() ? std::string("none") : names) + ")");
    }
  }
  const auto tensor_of = [&](const std::string& name) -> const torch::Tensor* {
    if (name == kEmbeddings) return &rows.embeddings;
    if (name == kLabels) return &rows.labels;
    if (name == kIds) return &rows.ids;
    if (name == kSideInfo) return &rows.side_info;
    const auto found = rows.extra.find(name);
    return found == rows.extra.end() ? nullptr : &found->second;
  };
  const int64_t n = rows.size();
  if (layout.side_info_dim == 0 && rows.side_info.defined() &&
      (n > 0 || rows.side_info.numel() > 0)) {
    throw Error(where + "the store has no side_info column, got side_info " +
                describe(rows.side_info));
  }
  data.assign(columns.size(), torch::Tensor());
  if (n == 0) {  // nothing to write this round: every column given must be empty too
    for (const ColumnSpec& column : columns) {
      const torch::Tensor* t = tensor_of(column.name);
      if (t != nullptr && t->defined() && t->numel() > 0) {
        throw Error(where + "column '" + column.name + "' is " + describe(*t) +
                    " but the rows are empty (embeddings, labels and ids have no rows)");
      }
    }
    return 0;
  }
  if (first_row < 0 || first_row + n > layout.rows) {
    throw Error(where + "rows [" + std::to_string(first_row) + ", " +
                std::to_string(first_row + n) + ") are outside the store's " +
                std::to_string(layout.rows) + " rows");
  }
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const ColumnSpec& column = columns[c];
    const torch::Tensor* t = tensor_of(column.name);
    std::vector<int64_t> shape = {n};
    if (column.width > 0) shape.push_back(column.width);
    if (t == nullptr || !t->defined()) {
      throw Error(where + "column '" + column.name + "' is missing (expected " +
                  dtype_name(column.dtype()) + " " + shape_string(shape) + ")");
    }
    if (t->scalar_type() != column.dtype() || t->sizes().vec() != shape) {
      throw Error(where + "column '" + column.name + "' must be " + dtype_name(column.dtype()) +
                  " " + shape_string(shape) + ", got " + describe(*t));
    }
    data[c] = t->to(torch::kCPU).contiguous();
  }
  return n;
}

void StoreWriter::Impl::write_column(std::size_t c, int64_t first_row, int64_t n, int64_t max_rows,
                                     const torch::Tensor& values) {
  const ColumnSpec& column = columns[c];
  const std::string what = where() + ": writing column '" + column.name + "'";
  // The same number of transfers on every rank: from the largest block of any rank.
  const int64_t parts = std::max<int64_t>(
      1, (max_rows * column.row_bytes() + max_bytes_per_transfer - 1) / max_bytes_per_transfer);
  const int64_t per_part = (n + parts - 1) / parts;
  const hid_t memory_type = column.is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64;
  const hsize_t width = static_cast<hsize_t>(std::max<int64_t>(column.width, 1));
  const char* base = n > 0 ? static_cast<const char*>(values.data_ptr()) : nullptr;
  static const int64_t nothing = 0;
  for (int64_t part = 0; part < parts; ++part) {
    const int64_t begin = std::min(n, part * per_part);
    const int64_t end = std::min(n, (part + 1) * per_part);
    Hid file_space(check_id(H5Dget_space(datasets[c].get()), what), H5Sclose);
    Hid memory_space;
    const void* buffer = &nothing;
    if (end > begin) {
      const hsize_t start[2] = {static_cast<hsize_t>(first_row + begin), 0};
      const hsize_t count[2] = {static_cast<hsize_t>(end - begin), width};
      check_status(
          H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
          what);
      memory_space = Hid(check_id(H5Screate_simple(column.rank(), count, nullptr), what), H5Sclose);
      buffer = base + begin * column.row_bytes();
    } else {  // this rank takes part in the collective transfer with nothing selected
      const hsize_t one[2] = {1, width};
      check_status(H5Sselect_none(file_space.get()), what);
      memory_space = Hid(check_id(H5Screate_simple(column.rank(), one, nullptr), what), H5Sclose);
      check_status(H5Sselect_none(memory_space.get()), what);
    }
    check_status(H5Dwrite(datasets[c].get(), memory_type, memory_space.get(), file_space.get(),
                          transfer.get(), buffer),
                 what + " rows [" + std::to_string(first_row + begin) + ", " +
                     std::to_string(first_row + end) + ")");
  }
}

void StoreWriter::write_rows(int64_t first_row, const StoreRows& rows) {
  detail::QuietHdf5 quiet;
  Impl& s = *impl_;
  if (s.committed) throw Error(s.where() + ": write_rows after commit()");
  std::vector<torch::Tensor> data;
  std::string problem;
  int64_t n = 0;
  try {
    n = s.prepare(first_row, rows, data);
  } catch (const std::exception& e) {
    problem = e.what();
  }
  // Every rank learns every rank's rows and whether its input was valid, so that all ranks
  // either write or throw together.
  const torch::Tensor mine =
      torch::tensor({problem.empty() ? first_row : 0, problem.empty() ? n : int64_t{0},
                     problem.empty() ? int64_t{0} : int64_t{1}},
                    torch::kInt64);
  const torch::Tensor gathered =
      s.comm.all_gather(mine.to(s.comm.device())).to(torch::kCPU).contiguous();
  const int64_t* all = gathered.data_ptr<int64_t>();
  if (!problem.empty()) throw Error(problem);
  for (int r = 0; r < s.world; ++r) {
    if (all[3 * r + 2] != 0) {
      throw Error(s.where() + ": write_rows failed on rank " + std::to_string(r) +
                  " (its message says why); no rank wrote this round");
    }
  }
  int64_t max_rows = 0;
  for (int r = 0; r < s.world; ++r) {
    const int64_t begin = all[3 * r], count = all[3 * r + 1];
    if (count > 0) s.written.emplace_back(begin, begin + count);
    max_rows = std::max(max_rows, count);
  }
  if (max_rows == 0) return;  // nobody writes (a zero-row dataset has no storage to select in)
  for (std::size_t c = 0; c < s.columns.size(); ++c) {
    s.write_column(c, first_row, n, max_rows, data[c]);
  }
}

void StoreWriter::commit() {
  detail::QuietHdf5 quiet;
  Impl& s = *impl_;
  if (s.committed) throw Error(s.where() + ": commit() called twice");
  // Every rank holds every rank's writes: the same verdict everywhere.
  auto intervals = s.written;
  std::sort(intervals.begin(), intervals.end());
  int64_t next = 0;
  const auto range = [](int64_t a, int64_t b) {
    return "[" + std::to_string(a) + ", " + std::to_string(b) + ")";
  };
  for (const auto& [begin, end] : intervals) {
    if (begin < next) {
      throw Error(s.where() + ": rows " + range(begin, std::min(end, next)) +
                  " were written more than once; not committed");
    }
    if (begin > next) {
      throw Error(s.where() + ": rows " + range(next, begin) +
                  " were never written; not committed");
    }
    next = end;
  }
  if (next < s.layout.rows) {
    throw Error(s.where() + ": rows " + range(next, s.layout.rows) +
                " were never written; not committed");
  }

  herr_t status = 0;
  for (auto& dataset : s.datasets) status = std::min(status, dataset.reset());
  status = std::min(status, s.transfer.reset());
  status = std::min(status, s.file.reset());  // collective
  const std::string reason = status < 0 ? detail::hdf5_reason() : "";
  const bool failed = status < 0;
  if (distributed::any_rank(s.comm, failed)) {  // everybody has closed
    throw Error(s.where() + ": closing " + s.temporary + " failed" +
                (failed ? ": " + reason : std::string(" on another rank")));
  }
  // Note [Write, then rename]: the data on disk before the name, the name on disk after it.
  std::string problem;
  if (s.rank == 0) {
    try {
      sync_to_disk(s.temporary, false);
      if (std::rename(s.temporary.c_str(), s.path.c_str()) != 0)
        throw Error(std::string("rename: ") + std::strerror(errno));
      sync_renamed(s.path);
    } catch (const std::exception& error) {
      problem = error.what();
    }
  }
  problem = distributed::broadcast_text(s.comm, problem);  // every rank returns after the rename
  if (!problem.empty()) {
    throw Error(s.where() + ": cannot commit " + s.temporary + " as " + s.path + ": " + problem);
  }
  s.committed = true;
}

}  // namespace fct::store
