#include "framework/store/store_reader.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "framework/core/error.h"
#include "framework/store/foreign_embeddings.h"
#include "framework/store/hdf5_util.h"

namespace fct::store {
namespace {

using detail::check_id;
using detail::check_status;
using detail::Hid;

struct Column {
  std::string name;
  int64_t width = 0;  // 0: a 1-D column
  bool is_float = true;
  Hid dataset;
};

bool is_float32(hid_t type) {
  return H5Tget_class(type) == H5T_FLOAT && H5Tget_size(type) == 4;
}

bool is_int64(hid_t type) {
  return H5Tget_class(type) == H5T_INTEGER && H5Tget_size(type) == 8 &&
         H5Tget_sign(type) == H5T_SGN_2;
}

// The shortest decimal text that reads back as `value`.
std::string number_text(double value) {
  char buffer[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

herr_t collect_attribute_name(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

// A scalar attribute as text; nullopt for kinds a store does not use (arrays, compounds, ...).
std::optional<std::string> attribute_text(hid_t file, const std::string& name,
                                          const std::string& what) {
  Hid attribute(check_id(H5Aopen(file, name.c_str(), H5P_DEFAULT), what), H5Aclose);
  Hid type(check_id(H5Aget_type(attribute.get()), what), H5Tclose);
  Hid space(check_id(H5Aget_space(attribute.get()), what), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return std::nullopt;
  switch (H5Tget_class(type.get())) {
    case H5T_STRING: {
      Hid memory_type(check_id(H5Tcopy(H5T_C_S1), what), H5Tclose);
      check_status(H5Tset_cset(memory_type.get(), H5Tget_cset(type.get())), what);
      if (H5Tis_variable_str(type.get()) > 0) {
        check_status(H5Tset_size(memory_type.get(), H5T_VARIABLE), what);
        char* value = nullptr;
        check_status(H5Aread(attribute.get(), memory_type.get(), &value), what);
        std::string text = value != nullptr ? value : "";
        H5free_memory(value);
        return text;
      }
      const std::size_t size = H5Tget_size(type.get());
      const H5T_str_t padding = H5Tget_strpad(type.get());
      check_status(H5Tset_size(memory_type.get(), size), what);
      check_status(H5Tset_strpad(memory_type.get(), padding), what);
      std::string text(size, '\0');
      check_status(H5Aread(attribute.get(), memory_type.get(), text.data()), what);
      if (padding == H5T_STR_SPACEPAD) {
        text.erase(text.find_last_not_of(' ') + 1);
      } else {
        text.erase(std::min(text.find('\0'), text.size()));
      }
      return text;
    }
    case H5T_INTEGER: {
      if (H5Tget_sign(type.get()) == H5T_SGN_NONE) {
        uint64_t value = 0;
        check_status(H5Aread(attribute.get(), H5T_NATIVE_UINT64, &value), what);
        return std::to_string(value);
      }
      int64_t value = 0;
      check_status(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), what);
      return std::to_string(value);
    }
    case H5T_FLOAT: {
      double value = 0;
      check_status(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), what);
      return number_text(value);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

struct StoreReader::Impl {
  std::string path;
  StoreLayout layout;
  Attributes attributes;
  Hid file;
  std::vector<Column> columns;  // embeddings, labels, ids, side_info?, extras by name

  std::string where() const { return "store " + path; }
  const Column* find(const std::string& name) const {
    for (const Column& column : columns) {
      if (column.name == name) return &column;
    }
    return nullptr;
  }
  void open();
  void read_attributes();
  void read_columns();
  // Opens `name`, checks its dtype and rank, and its rows against `rows` (< 0: not yet known).
  Column open_column(const std::string& name, bool is_float, int rank, int64_t rows,
                     const std::vector<int64_t>& reference_shape);
  void check_range(int64_t begin, int64_t end) const;
};

void StoreReader::Impl::open() {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw Error(where() + ": no such file");
  if (std::filesystem::is_directory(path, error)) {
    throw Error(where() + ": is a directory, not a store file");
  }
#if H5_VERSION_GE(1, 12, 0)
  const htri_t is_hdf5 = H5Fis_accessible(path.c_str(), H5P_DEFAULT);
#else
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
#endif
  if (is_hdf5 == 0) throw Error(where() + ": not an HDF5 file");
  if (is_hdf5 < 0) {
    throw Error(where() + ": cannot read the file (" + detail::hdf5_reason() + ")");
  }
  file = Hid(check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                      where() + ": cannot open the HDF5 file"),
             H5Fclose);
}

void StoreReader::Impl::read_attributes() {
  std::vector<std::string> names;
  hsize_t index = 0;
  check_status(
      H5Aiterate2(file.get(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute_name, &names),
      where() + ": cannot list the attributes");
  for (const std::string& name : names) {
    auto text =
        attribute_text(file.get(), name, where() + ": cannot read the attribute '" + name + "'");
    if (text) attributes[name] = std::move(*text);
  }
  const auto version = attributes.find(kVersionAttribute);
  if (version == attributes.end()) {
    throw Error(where() + ": not an fct store (no '" + kVersionAttribute + "' attribute); " +
                import_advice(path));
  }
  if (version->second != kStoreVersion) {
    throw Error(where() + ": store version '" + version->second + "', this build reads version " +
                kStoreVersion);
  }
}

Column StoreReader::Impl::open_column(const std::string& name, bool is_float, int rank,
                                      int64_t rows, const std::vector<int64_t>& reference_shape) {
  const std::string what = where() + ": dataset '" + name + "'";
  Hid object(check_id(H5Oopen(file.get(), name.c_str(), H5P_DEFAULT), what + ": cannot open"),
             H5Oclose);
  if (H5Iget_type(object.get()) != H5I_DATASET) {
    throw Error(where() + ": root object '" + name + "' is not a dataset");
  }
  Hid dataset(check_id(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), what + ": cannot open"),
              H5Dclose);
  Hid type(check_id(H5Dget_type(dataset.get()), what), H5Tclose);
  const std::vector<int64_t> shape = detail::dataset_shape(dataset.get(), what);
  const std::string expected = is_float ? (rank == 2 ? "float32 [N, width]" : "float32 [N]")
                                        : (rank == 2 ? "int64 [N, width]" : "int64 [N]");
  // An extra column may take either form: name both in the message.
  const bool extra = name != kEmbeddings && name != kLabels && name != kIds && name != kSideInfo;
  const std::string found = detail::hdf5_type_name(type.get()) + " " + shape_string(shape);
  if (!(is_float ? is_float32(type.get()) : is_int64(type.get())) ||
      static_cast<int>(shape.size()) != rank) {
    throw Error(what + " is " + found + ", expected " +
                (extra ? std::string("float32 [N, width] or int64 [N]") : expected));
  }
  if (rank == 2 && shape[1] < 1) throw Error(what + " is " + found + ": a column has width >= 1");
  if (rows >= 0 && shape[0] != rows) {
    throw Error(what + " has shape " + shape_string(shape) + " but dataset '" + kEmbeddings +
                "' has shape " + shape_string(reference_shape) + ": the row counts differ");
  }
  return Column{name, rank == 2 ? shape[1] : 0, is_float, std::move(dataset)};
}

void StoreReader::Impl::read_columns() {
  for (const char* name : {kEmbeddings, kLabels, kIds}) {
    if (H5Lexists(file.get(), name, H5P_DEFAULT) <= 0) {
      throw Error(where() + ": not a complete store: missing dataset '" + name +
                  "' (a store has embeddings float32 [N, d], labels int64 [N], ids int64 [N])");
    }
  }
  columns.push_back(open_column(kEmbeddings, true, 2, -1, {}));
  const std::vector<int64_t> reference = detail::dataset_shape(columns[0].dataset.get(), "");
  const int64_t rows = reference[0];
  columns.push_back(open_column(kLabels, false, 1, rows, reference));
  columns.push_back(open_column(kIds, false, 1, rows, reference));

  // The other root datasets: side_info and the extra columns, in name order.
  H5G_info_t info;
  check_status(H5Gget_info(file.get(), &info), where() + ": cannot list the root group");
  std::vector<std::string> names;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t size =
        H5Lget_name_by_idx(file.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (size < 0) check_status(-1, where() + ": cannot list the root group");
    std::string name(static_cast<std::size_t>(size) + 1, '\0');
    H5Lget_name_by_idx(file.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<std::size_t>(size));
    names.push_back(std::move(name));
  }
  std::optional<Column> side_info;
  for (const std::string& name : names) {
    if (name == kEmbeddings || name == kLabels || name == kIds) continue;
    Hid object(check_id(H5Oopen(file.get(), name.c_str(), H5P_DEFAULT),
                        where() + ": cannot open the root object '" + name + "'"),
               H5Oclose);
    if (H5Iget_type(object.get()) != H5I_DATASET) continue;  // groups are not part of a store
    // An extra column is float32 [N, k] or int64 [N] (width 0); side_info is always float32.
    bool integer = false;
    if (name != kSideInfo) {
      const std::string what = where() + ": dataset '" + name + "'";
      Hid dataset(check_id(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), what + ": cannot open"),
                  H5Dclose);
      Hid type(check_id(H5Dget_type(dataset.get()), what), H5Tclose);
      integer = is_int64(type.get()) && detail::dataset_shape(dataset.get(), what).size() == 1;
    }
    Column column = integer ? open_column(name, false, 1, rows, reference)
                            : open_column(name, true, 2, rows, reference);
    if (name == kSideInfo) {
      side_info = std::move(column);
    } else {
      layout.extra_columns.emplace_back(name, column.width);
      columns.push_back(std::move(column));
    }
  }
  if (side_info) columns.insert(columns.begin() + 3, std::move(*side_info));
  layout.rows = rows;
  layout.embedding_dim = columns[0].width;
  layout.side_info_dim = side_info ? columns[3].width : 0;
}

void StoreReader::Impl::check_range(int64_t begin, int64_t end) const {
  if (begin < 0 || end < begin || end > layout.rows) {
    throw Error(where() + ": cannot read rows [" + std::to_string(begin) + ", " +
                std::to_string(end) + "): the store has rows [0, " + std::to_string(layout.rows) +
                ")");
  }
}

StoreReader::StoreReader(const std::string& path) : impl_(std::make_unique<Impl>()) {
  detail::QuietHdf5 quiet;
  impl_->path = path;
  impl_->open();
  impl_->read_attributes();
  impl_->read_columns();
}

StoreReader::~StoreReader() {
  if (!impl_) return;
  detail::QuietHdf5 quiet;
  impl_->columns.clear();
  impl_->file.reset();
  H5Eclear2(H5E_DEFAULT);
}

StoreReader::StoreReader(StoreReader&&) noexcept = default;
StoreReader& StoreReader::operator=(StoreReader&&) noexcept = default;

const std::string& StoreReader::path() const {
  return impl_->path;
}
int64_t StoreReader::rows() const {
  return impl_->layout.rows;
}
int64_t StoreReader::embedding_dim() const {
  return impl_->layout.embedding_dim;
}
int64_t StoreReader::side_info_dim() const {
  return impl_->layout.side_info_dim;
}
const StoreLayout& StoreReader::layout() const {
  return impl_->layout;
}

std::vector<std::string> StoreReader::column_names() const {
  std::vector<std::string> names;
  for (const Column& column : impl_->columns) names.push_back(column.name);
  return names;
}

bool StoreReader::has_column(const std::string& name) const {
  return impl_->find(name) != nullptr;
}

const Attributes& StoreReader::attributes() const {
  return impl_->attributes;
}

std::string StoreReader::attribute(const std::string& key) const {
  const auto found = impl_->attributes.find(key);
  if (found == impl_->attributes.end()) {
    std::string keys;
    for (const auto& entry : impl_->attributes) keys += (keys.empty() ? "" : ", ") + entry.first;
    throw Error(impl_->where() + ": no attribute '" + key + "' (it has: " + keys + ")");
  }
  return found->second;
}

torch::Tensor StoreReader::read_column(const std::string& name, int64_t begin, int64_t end) const {
  detail::QuietHdf5 quiet;
  const Column* column = impl_->find(name);
  if (column == nullptr) {
    std::string names;
    for (const Column& c : impl_->columns) names += (names.empty() ? "" : ", ") + c.name;
    throw Error(impl_->where() + ": no column '" + name + "' (it has: " + names + ")");
  }
  impl_->check_range(begin, end);
  const int64_t n = end - begin;
  torch::Tensor values =
      column->width > 0
          ? torch::empty({n, column->width}, column->is_float ? torch::kFloat32 : torch::kInt64)
          : torch::empty({n}, column->is_float ? torch::kFloat32 : torch::kInt64);
  if (n == 0) return values;
  const std::string what = impl_->where() + ": reading rows [" + std::to_string(begin) + ", " +
                           std::to_string(end) + ") of '" + name + "'";
  const hsize_t start[2] = {static_cast<hsize_t>(begin), 0};
  const hsize_t count[2] = {static_cast<hsize_t>(n),
                            static_cast<hsize_t>(std::max<int64_t>(column->width, 1))};
  const int rank = column->width > 0 ? 2 : 1;
  Hid file_space(check_id(H5Dget_space(column->dataset.get()), what), H5Sclose);
  check_status(
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), what);
  Hid memory_space(check_id(H5Screate_simple(rank, count, nullptr), what), H5Sclose);
  check_status(
      H5Dread(column->dataset.get(), column->is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64,
              memory_space.get(), file_space.get(), H5P_DEFAULT, values.data_ptr()),
      what);
  return values;
}

StoreRows StoreReader::read(int64_t begin, int64_t end) const {
  impl_->check_range(begin, end);
  StoreRows rows;
  rows.embeddings = read_column(kEmbeddings, begin, end);
  rows.labels = read_column(kLabels, begin, end);
  rows.ids = read_column(kIds, begin, end);
  if (impl_->layout.side_info_dim > 0) rows.side_info = read_column(kSideInfo, begin, end);
  for (const auto& [name, width] : impl_->layout.extra_columns) {
    rows.extra[name] = read_column(name, begin, end);
  }
  return rows;
}

StoreRows StoreReader::read_all() const {
  return read(0, rows());
}

}  // namespace fct::store
