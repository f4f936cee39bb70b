#include "framework/store/hdf5_util.h"

#include "framework/core/error.h"

namespace fct::store::detail {

QuietHdf5::QuietHdf5() {
  H5Eget_auto2(H5E_DEFAULT, &function_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietHdf5::~QuietHdf5() {
  H5Eset_auto2(H5E_DEFAULT, function_, data_);
}

namespace {

struct Reasons {
  std::string outermost;  // what the API function says it could not do
  std::string innermost;  // where the failure was detected
};

herr_t collect(unsigned n, const H5E_error2_t* entry, void* data) {
  auto* reasons = static_cast<Reasons*>(data);
  const std::string desc = entry->desc != nullptr ? entry->desc : "";
  if (n == 0) reasons->outermost = desc;
  reasons->innermost = desc;
  return 0;
}

}  // namespace

std::string hdf5_reason() {
  Reasons reasons;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect, &reasons);
  H5Eclear2(H5E_DEFAULT);
  if (reasons.outermost.empty()) return reasons.innermost;
  if (reasons.innermost.empty() || reasons.innermost == reasons.outermost) {
    return reasons.outermost;
  }
  return reasons.outermost + " (" + reasons.innermost + ")";
}

hid_t check_id(hid_t id, const std::string& what) {
  if (id < 0) {
    const std::string reason = hdf5_reason();
    throw Error(what + (reason.empty() ? std::string(" failed") : ": " + reason));
  }
  return id;
}

void check_status(herr_t status, const std::string& what) {
  if (status < 0) {
    const std::string reason = hdf5_reason();
    throw Error(what + (reason.empty() ? std::string(" failed") : ": " + reason));
  }
}

std::string hdf5_type_name(hid_t type) {
  const H5T_class_t type_class = H5Tget_class(type);
  const std::size_t bytes = H5Tget_size(type);
  switch (type_class) {
    case H5T_FLOAT:
      return "float" + std::to_string(8 * bytes);
    case H5T_INTEGER:
      return std::string(H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") +
             std::to_string(8 * bytes);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_VLEN:
      return "variable-length sequence";
    case H5T_ARRAY:
      return "array";
    case H5T_OPAQUE:
      return "opaque";
    case H5T_REFERENCE:
      return "reference";
    case H5T_BITFIELD:
      return "bitfield";
    case H5T_TIME:
      return "time";
    default:
      return "unknown HDF5 type";
  }
}

std::vector<int64_t> dataset_shape(hid_t dataset, const std::string& what) {
  Hid space(check_id(H5Dget_space(dataset), what + ": cannot get the dataspace"), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) check_status(rank, what + ": cannot get the dataspace rank");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) {
    check_status(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr),
                 what + ": cannot get the dataspace extents");
  }
  return std::vector<int64_t>(dims.begin(), dims.end());
}

namespace {

herr_t collect_dataset(hid_t group, const char* name, const H5L_info_t*, void* data) {
  const hid_t object = H5Oopen(group, name, H5P_DEFAULT);
  if (object < 0) {
    H5Eclear2(H5E_DEFAULT);
    return 0;
  }
  Hid owned(object, H5Oclose);
  if (H5Iget_type(object) != H5I_DATASET) return 0;
  DatasetSummary summary;
  summary.path = name;
  const hid_t type = H5Dget_type(object);
  if (type >= 0) {
    summary.type = hdf5_type_name(type);
    H5Tclose(type);
  }
  try {
    summary.shape = dataset_shape(object, summary.path);
  } catch (const Error&) {
    // A summary is for a message: an unreadable shape is shown as [].
  }
  static_cast<std::vector<DatasetSummary>*>(data)->push_back(std::move(summary));
  return 0;
}

}  // namespace

std::vector<DatasetSummary> list_datasets(hid_t file) {
  std::vector<DatasetSummary> datasets;
  check_status(H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &datasets),
               "cannot list the datasets of the file");
  return datasets;
}

}  // namespace fct::store::detail
