#include "framework/store/store_updater.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "framework/core/error.h"
#include "framework/store/hdf5_util.h"
#include "framework/store/store_reader.h"

namespace fct::store {
namespace {

using detail::check_id;
using detail::check_status;
using detail::Hid;

struct Column {
  std::string name;
  int64_t width = 0;  // 0: int64 [N]
  bool is_float = true;
  Hid dataset;

  int64_t row_bytes() const { return std::max<int64_t>(width, 1) * (is_float ? 4 : 8); }
  torch::ScalarType dtype() const { return is_float ? torch::kFloat32 : torch::kInt64; }
};

}  // namespace

struct StoreUpdater::Impl {
  std::string path;
  StoreLayout layout;
  Hid file;
  std::vector<Column> columns;

  std::string where() const { return "store " + path; }
  void check_format_bounds();
  Column* find(const std::string& name) {
    for (Column& column : columns) {
      if (column.name == name) return &column;
    }
    return nullptr;
  }
};

// See Note [In-place store updates]: a superblock of version 3 or later records "open for
// writing" in the file itself, and a process killed while holding it open would leave a file
// that HDF5 refuses to open (until h5clear). StoreWriter never writes such a superblock; a file
// written by another tool with libver "latest" is refused rather than put at risk.
void StoreUpdater::Impl::check_format_bounds() {
  Hid readonly(check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                        where() + ": cannot open the HDF5 file"),
               H5Fclose);
  H5F_info2_t info;
  check_status(H5Fget_info2(readonly.get(), &info), where() + ": cannot read the superblock");
  if (info.super.version >= 3) {
    throw Error(where() + ": its HDF5 superblock is version " + std::to_string(info.super.version) +
                " (written with libver 'latest'), which records open-for-writing in the file; "
                "fct updates in place only stores with a version 0-2 superblock (as StoreWriter "
                "writes them): copy it with h5repack first");
  }
}

StoreUpdater::StoreUpdater(const std::string& path) : impl_(std::make_unique<Impl>()) {
  detail::QuietHdf5 quiet;
  Impl& s = *impl_;
  s.path = path;
  {
    const StoreReader reader(path);  // a complete store, or a clear error; closed again here
    s.layout = reader.layout();
  }
  s.check_format_bounds();

  Hid access(check_id(H5Pcreate(H5P_FILE_ACCESS), s.where() + ": H5Pcreate"), H5Pclose);
  check_status(H5Pset_fapl_sec2(access.get()), s.where() + ": cannot select the POSIX driver");
  // No sieve buffer: each H5Dwrite reaches the OS at once, in call order.
  check_status(H5Pset_sieve_buf_size(access.get(), 0), s.where() + ": H5Pset_sieve_buf_size");
  s.file = Hid(check_id(H5Fopen(path.c_str(), H5F_ACC_RDWR, access.get()),
                        s.where() + ": cannot open for writing"),
               H5Fclose);

  std::vector<std::pair<std::string, int64_t>> specs = {
      {kEmbeddings, s.layout.embedding_dim}, {kLabels, 0}, {kIds, 0}};
  if (s.layout.side_info_dim > 0) specs.emplace_back(kSideInfo, s.layout.side_info_dim);
  for (const auto& extra : s.layout.extra_columns) specs.push_back(extra);
  for (const auto& [name, width] : specs) {
    const std::string what = s.where() + ": dataset '" + name + "'";
    Hid dataset(check_id(H5Dopen2(s.file.get(), name.c_str(), H5P_DEFAULT), what), H5Dclose);
    Hid creation(check_id(H5Dget_create_plist(dataset.get()), what), H5Pclose);
    if (H5Pget_layout(creation.get()) != H5D_CONTIGUOUS) {
      throw Error(what +
                  " is not stored contiguously: it cannot be updated in place without "
                  "changing HDF5 metadata (write the store with fct's StoreWriter)");
    }
    if (s.layout.rows > 0 && H5Dget_offset(dataset.get()) == HADDR_UNDEF) {
      throw Error(what +
                  " has no storage allocated: it cannot be updated in place without "
                  "changing HDF5 metadata (write the store with fct's StoreWriter)");
    }
    const bool is_float = name == kEmbeddings || name == kSideInfo || width > 0;
    s.columns.push_back(Column{name, width, is_float, std::move(dataset)});
  }
}

StoreUpdater::~StoreUpdater() {
  if (!impl_ || !impl_->file.valid()) return;
  try {
    close();
  } catch (...) {
    detail::QuietHdf5 quiet;
    impl_->columns.clear();
    impl_->file.reset();
    H5Eclear2(H5E_DEFAULT);
  }
}

const std::string& StoreUpdater::path() const {
  return impl_->path;
}

const StoreLayout& StoreUpdater::layout() const {
  return impl_->layout;
}

void StoreUpdater::write_rows(const std::string& name, const torch::Tensor& rows,
                              const torch::Tensor& values) {
  detail::QuietHdf5 quiet;
  Impl& s = *impl_;
  if (!s.file.valid()) throw Error(s.where() + ": write_rows after close()");
  Column* column = s.find(name);
  const std::string what = s.where() + ": write_rows of column '" + name + "'";
  if (column == nullptr) {
    std::string names;
    for (const Column& c : s.columns) names += (names.empty() ? "" : ", ") + c.name;
    throw Error(what + ": the store has no such column (it has: " + names + ")");
  }
  if (!rows.defined() || rows.scalar_type() != torch::kInt64 || rows.dim() != 1) {
    throw Error(what + ": rows must be int64 [n], got " +
                (rows.defined()
                     ? dtype_name(rows.scalar_type()) + " " + shape_string(rows.sizes().vec())
                     : std::string("nothing")));
  }
  const int64_t n = rows.size(0);
  std::vector<int64_t> shape = {n};
  if (column->width > 0) shape.push_back(column->width);
  if (!values.defined() || values.scalar_type() != column->dtype() ||
      values.sizes().vec() != shape) {
    throw Error(what + ": values must be " + dtype_name(column->dtype()) + " " +
                shape_string(shape) + ", got " +
                (values.defined()
                     ? dtype_name(values.scalar_type()) + " " + shape_string(values.sizes().vec())
                     : std::string("nothing")));
  }
  if (n == 0) return;

  // Rows in increasing order, each once, so that runs of consecutive rows are one write each.
  const torch::Tensor row_values = rows.to(torch::kCPU).contiguous();
  const int64_t* r = row_values.data_ptr<int64_t>();
  std::vector<int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [r](int64_t a, int64_t b) { return r[a] < r[b]; });
  for (int64_t k = 0; k < n; ++k) {
    const int64_t row = r[order[static_cast<std::size_t>(k)]];
    if (row < 0 || row >= s.layout.rows) {
      throw Error(what + ": row " + std::to_string(row) + " is outside the store's rows [0, " +
                  std::to_string(s.layout.rows) + ")");
    }
    if (k > 0 && row == r[order[static_cast<std::size_t>(k - 1)]]) {
      throw Error(what + ": row " + std::to_string(row) + " is given twice");
    }
  }
  const torch::Tensor sorted =
      values.to(torch::kCPU).index_select(0, torch::tensor(order, torch::kInt64)).contiguous();
  const char* base = static_cast<const char*>(sorted.data_ptr());
  const hid_t memory_type = column->is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64;
  const hsize_t width = static_cast<hsize_t>(std::max<int64_t>(column->width, 1));
  const int rank = column->width > 0 ? 2 : 1;
  int64_t k = 0;
  while (k < n) {
    int64_t end = k + 1;
    while (end < n && r[order[static_cast<std::size_t>(end)]] ==
                          r[order[static_cast<std::size_t>(end - 1)]] + 1) {
      ++end;
    }
    const int64_t first = r[order[static_cast<std::size_t>(k)]];
    const std::string part =
        what + " rows [" + std::to_string(first) + ", " + std::to_string(first + end - k) + ")";
    Hid file_space(check_id(H5Dget_space(column->dataset.get()), part), H5Sclose);
    const hsize_t start[2] = {static_cast<hsize_t>(first), 0};
    const hsize_t count[2] = {static_cast<hsize_t>(end - k), width};
    check_status(
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
        part);
    Hid memory_space(check_id(H5Screate_simple(rank, count, nullptr), part), H5Sclose);
    check_status(H5Dwrite(column->dataset.get(), memory_type, memory_space.get(), file_space.get(),
                          H5P_DEFAULT, base + k * column->row_bytes()),
                 part);
    k = end;
  }
}

void StoreUpdater::flush() {
  detail::QuietHdf5 quiet;
  Impl& s = *impl_;
  if (!s.file.valid()) throw Error(s.where() + ": flush after close()");
  check_status(H5Fflush(s.file.get(), H5F_SCOPE_LOCAL), s.where() + ": H5Fflush");
  void* handle = nullptr;
  check_status(H5Fget_vfd_handle(s.file.get(), H5P_DEFAULT, &handle),
               s.where() + ": cannot get the file descriptor");
  const int fd = *static_cast<int*>(handle);
  if (::fsync(fd) != 0) {
    throw Error(s.where() + ": fsync failed: " + std::strerror(errno));
  }
}

void StoreUpdater::close() {
  Impl& s = *impl_;
  if (!s.file.valid()) throw Error(s.where() + ": close() called twice");
  flush();
  detail::QuietHdf5 quiet;
  herr_t status = 0;
  for (Column& column : s.columns) status = std::min(status, column.dataset.reset());
  s.columns.clear();
  status = std::min(status, s.file.reset());
  if (status < 0) throw Error(s.where() + ": closing failed: " + detail::hdf5_reason());
}

}  // namespace fct::store
