#include "framework/store/foreign_embeddings.h"

#include <cmath>
#include <filesystem>
#include <optional>

#include "framework/core/error.h"
#include "framework/store/hdf5_util.h"

namespace fct::store {
namespace {

using detail::check_id;
using detail::check_status;
using detail::Hid;

// A file's datasets stop being useful in a message long before a big file runs out of them.
constexpr std::size_t kListedDatasets = 12;

// `path` as one shell word, for a command line the user can paste.
std::string shell_word(const std::string& path) {
  const bool plain = !path.empty() && path.find_first_not_of(
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_./-+=:,@%") == std::string::npos;
  if (plain) return path;
  std::string quoted = "'";
  for (const char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string summary_text(const detail::DatasetSummary& dataset) {
  return "'" + dataset.path + "' " + dataset.type + " " + shape_string(dataset.shape);
}

// "'feats' float32 [100, 8], 'y' int64 [100]" (at most kListedDatasets of them).
std::string datasets_text(const std::vector<detail::DatasetSummary>& datasets) {
  std::string text;
  for (std::size_t i = 0; i < datasets.size() && i < kListedDatasets; ++i) {
    text += (i > 0 ? ", " : "") + summary_text(datasets[i]);
  }
  if (datasets.size() > kListedDatasets) {
    text += " and " + std::to_string(datasets.size() - kListedDatasets) + " more";
  }
  return text;
}

// Opens `path` read-only, with the errors StoreReader gives for a file that is not there or not
// HDF5.
Hid open_hdf5(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw Error(path + ": no such file");
  if (std::filesystem::is_directory(path, error)) throw Error(path + ": is a directory");
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 == 0) throw Error(path + ": not an HDF5 file");
  if (is_hdf5 < 0) throw Error(path + ": cannot read the file (" + detail::hdf5_reason() + ")");
  return Hid(check_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT),
                      path + ": cannot open the HDF5 file"),
             H5Fclose);
}

bool has_version(hid_t file) {
  return H5Aexists(file, kVersionAttribute) > 0;
}

// One dataset the columns are read from.
struct Source {
  std::string name;
  std::string role;  // "embeddings", "labels", "ids"
  Hid dataset;
  std::string type;
  std::vector<int64_t> shape;
};

std::string source_text(const Source& source) {
  return source.role + "=" + source.name + " " + source.type + " " + shape_string(source.shape);
}

}  // namespace

struct ForeignEmbeddingsReader::Impl {
  std::string path;
  Hid file;
  Source embeddings, labels;
  std::optional<Source> ids;

  // Opens dataset `name` as the `role` column and checks its type and rank.
  Source open_source(const std::string& name, const std::string& role);
  void read_into(const Source& source, hid_t memory_type, int64_t begin, int64_t end,
                 void* buffer) const;
  void check_finite(const torch::Tensor& values, int64_t begin) const;
};

Source ForeignEmbeddingsReader::Impl::open_source(const std::string& name,
                                                  const std::string& role) {
  const std::string what = path + ": dataset '" + name + "' (the " + role + ")";
  // H5Oopen rather than H5Lexists: a path through a missing group is "missing", not an error.
  const hid_t object = name.empty() ? -1 : H5Oopen(file.get(), name.c_str(), H5P_DEFAULT);
  if (object < 0) {
    H5Eclear2(H5E_DEFAULT);
    const auto datasets = detail::list_datasets(file.get());
    throw DataError(
        path + ": no dataset '" + name + "' for the " + role + "; the file has " +
        (datasets.empty() ? std::string("no datasets") : "datasets " + datasets_text(datasets)) +
        " (`fct store import` takes the names: --embeddings NAME --labels NAME --ids NAME)");
  }
  Hid owned(object, H5Oclose);
  if (H5Iget_type(object) != H5I_DATASET) {
    throw DataError(path + ": '" + name + "' (the " + role + ") is a group, not a dataset");
  }
  Source source;
  source.name = name;
  source.role = role;
  source.dataset = Hid(check_id(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), what), H5Dclose);
  Hid type(check_id(H5Dget_type(source.dataset.get()), what), H5Tclose);
  source.type = detail::hdf5_type_name(type.get());
  source.shape = detail::dataset_shape(source.dataset.get(), what);
  const std::string found = what + " is " + source.type + " " + shape_string(source.shape);
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (role == kEmbeddings) {
    if (type_class != H5T_FLOAT && type_class != H5T_INTEGER) {
      throw DataError(found + ": embeddings are numbers (float32 or float64 [N, d])");
    }
    if (source.shape.size() != 2 || source.shape[1] < 1) {
      throw DataError(
          found + ": embeddings are a matrix [N, d], one row per item" +
          (source.shape.size() == 1 ? " (one number per item: reshape to [N, 1])" : ""));
    }
    if (source.shape[0] < 1) throw DataError(found + ": no rows");
  } else {
    if (type_class != H5T_INTEGER) {
      throw DataError(found + ": " + role + " are integers (in numpy: " + role +
                      ".astype(np.int64))");
    }
    const bool column =
        source.shape.size() == 1 || (source.shape.size() == 2 && source.shape[1] == 1);
    if (!column) throw DataError(found + ": " + role + " are a vector [N], one per item");
  }
  return source;
}

void ForeignEmbeddingsReader::Impl::read_into(const Source& source, hid_t memory_type,
                                              int64_t begin, int64_t end, void* buffer) const {
  if (end == begin) return;
  const std::string what = path + ": reading rows [" + std::to_string(begin) + ", " +
                           std::to_string(end) + ") of '" + source.name + "'";
  const int rank = static_cast<int>(source.shape.size());
  const hsize_t start[2] = {static_cast<hsize_t>(begin), 0};
  const hsize_t count[2] = {static_cast<hsize_t>(end - begin),
                            rank == 2 ? static_cast<hsize_t>(source.shape[1]) : 1};
  Hid file_space(check_id(H5Dget_space(source.dataset.get()), what), H5Sclose);
  check_status(
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), what);
  Hid memory_space(check_id(H5Screate_simple(rank, count, nullptr), what), H5Sclose);
  // HDF5 converts the stored type (float64, int32, uint8, ...) to the memory type.
  check_status(H5Dread(source.dataset.get(), memory_type, memory_space.get(), file_space.get(),
                       H5P_DEFAULT, buffer),
               what);
}

void ForeignEmbeddingsReader::Impl::check_finite(const torch::Tensor& values, int64_t begin) const {
  const torch::Tensor finite_rows = torch::isfinite(values).all(1);
  if (finite_rows.all().item<bool>()) return;
  const int64_t row = (~finite_rows).nonzero()[0][0].item<int64_t>();
  const torch::Tensor bad = values[row];
  const int64_t column = (~torch::isfinite(bad)).nonzero()[0][0].item<int64_t>();
  const float value = bad[column].item<float>();
  // float64 values beyond float32's range become infinities on reading: say so, not "inf".
  const bool overflow = std::isinf(value) && embeddings.type == "float64";
  throw DataError(path + ": dataset '" + embeddings.name + "' (the embeddings), row " +
                  std::to_string(begin + row) + ", column " + std::to_string(column) + ": " +
                  (std::isnan(value) ? std::string("NaN")
                   : overflow        ? std::string("beyond float32's range")
                                     : std::string("infinite")) +
                  "; every embedding must be finite");
}

ForeignEmbeddingsReader::ForeignEmbeddingsReader(const std::string& path,
                                                 const ForeignColumnNames& names)
    : impl_(std::make_unique<Impl>()) {
  detail::QuietHdf5 quiet;
  impl_->path = path;
  impl_->file = open_hdf5(path);
  if (has_version(impl_->file.get())) {
    throw Error(path + ": is an fct store already (it has the '" + std::string(kVersionAttribute) +
                "' attribute): use it as it is, no import");
  }
  impl_->embeddings = impl_->open_source(names.embeddings, kEmbeddings);
  impl_->labels = impl_->open_source(names.labels, kLabels);
  std::string ids = names.ids;
  if (ids.empty() && H5Lexists(impl_->file.get(), kIds, H5P_DEFAULT) > 0) ids = kIds;
  if (!ids.empty()) impl_->ids = impl_->open_source(ids, kIds);
  H5Eclear2(H5E_DEFAULT);
  const int64_t rows = impl_->embeddings.shape[0];
  for (const Source* source : {&impl_->labels, impl_->ids ? &*impl_->ids : nullptr}) {
    if (source != nullptr && source->shape[0] != rows) {
      throw DataError(path + ": dataset '" + source->name + "' (the " + source->role + ") has " +
                      std::to_string(source->shape[0]) + " rows, dataset '" +
                      impl_->embeddings.name + "' (the embeddings) has " + std::to_string(rows) +
                      ": one " + (source->role == kLabels ? "label" : "id") + " per embedding");
    }
  }
}

ForeignEmbeddingsReader::~ForeignEmbeddingsReader() {
  if (!impl_) return;
  detail::QuietHdf5 quiet;
  impl_.reset();
  H5Eclear2(H5E_DEFAULT);
}

ForeignEmbeddingsReader::ForeignEmbeddingsReader(ForeignEmbeddingsReader&&) noexcept = default;
ForeignEmbeddingsReader& ForeignEmbeddingsReader::operator=(ForeignEmbeddingsReader&&) noexcept =
    default;

const std::string& ForeignEmbeddingsReader::path() const {
  return impl_->path;
}
int64_t ForeignEmbeddingsReader::rows() const {
  return impl_->embeddings.shape[0];
}
int64_t ForeignEmbeddingsReader::embedding_dim() const {
  return impl_->embeddings.shape[1];
}
bool ForeignEmbeddingsReader::has_ids() const {
  return impl_->ids.has_value();
}

StoreRows ForeignEmbeddingsReader::read(int64_t begin, int64_t end) const {
  if (begin < 0 || end < begin || end > rows()) {
    throw Error(impl_->path + ": cannot read rows [" + std::to_string(begin) + ", " +
                std::to_string(end) + "): the file has rows [0, " + std::to_string(rows()) + ")");
  }
  detail::QuietHdf5 quiet;
  const int64_t n = end - begin;
  StoreRows rows;
  rows.embeddings = torch::empty({n, embedding_dim()}, torch::kFloat32);
  rows.labels = torch::empty({n}, torch::kInt64);
  impl_->read_into(impl_->embeddings, H5T_NATIVE_FLOAT, begin, end, rows.embeddings.data_ptr());
  impl_->check_finite(rows.embeddings, begin);
  impl_->read_into(impl_->labels, H5T_NATIVE_INT64, begin, end, rows.labels.data_ptr());
  if (impl_->ids) {
    rows.ids = torch::empty({n}, torch::kInt64);
    impl_->read_into(*impl_->ids, H5T_NATIVE_INT64, begin, end, rows.ids.data_ptr());
  } else {
    rows.ids = torch::arange(begin, end, torch::kInt64);
  }
  return rows;
}

std::string ForeignEmbeddingsReader::columns_text() const {
  return source_text(impl_->embeddings) + ", " + source_text(impl_->labels) + ", " +
         (impl_->ids ? source_text(*impl_->ids) : std::string(kIds) + "=(row index)");
}

FileKind file_kind(const std::string& path) {
  detail::QuietHdf5 quiet;
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error) || H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return FileKind::kStore;
  }
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) {
    H5Eclear2(H5E_DEFAULT);
    return FileKind::kStore;
  }
  Hid owned(file, H5Fclose);
  if (has_version(file)) return FileKind::kStore;
  for (const char* name : {kEmbeddings, kLabels}) {
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return FileKind::kOtherHdf5;
    }
  }
  return FileKind::kForeign;
}

std::string import_advice(const std::string& path) {
  detail::QuietHdf5 quiet;
  std::vector<detail::DatasetSummary> datasets;
  try {
    datasets = detail::list_datasets(open_hdf5(path).get());
  } catch (const Error& error) {
    return error.what();
  }
  const auto find = [&](const std::string& name) -> const detail::DatasetSummary* {
    for (const auto& dataset : datasets) {
      if (dataset.path == name) return &dataset;
    }
    return nullptr;
  };
  const std::string command = "`fct store import " + shell_word(path) + " --out STORE.h5";
  if (datasets.empty()) return "it has no datasets, so no embeddings to import";
  const auto* embeddings = find(kEmbeddings);
  const auto* labels = find(kLabels);
  if (embeddings != nullptr && labels != nullptr) {
    return "it has datasets " + summary_text(*embeddings) + " and " + summary_text(*labels) +
           ": run " + command + "` to make it a store";
  }
  return "it has datasets " + datasets_text(datasets) + ": name the embeddings [N, d] and the " +
         "labels [N] among them with " + command + " --embeddings NAME --labels NAME`";
}

}  // namespace fct::store
