// Internal to fct_store: owning HDF5 identifiers, quiet HDF5 error handling and HDF5 failures
// turned into fct::Error with HDF5's own reason appended.
#pragma once

#include <hdf5.h>

#include <string>
#include <vector>

namespace fct::store::detail {

// Owns one HDF5 identifier and closes it with the close function of its kind.
class Hid {
 public:
  using Close = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Close close) : id_(id), close_(close) {}
  ~Hid() { reset(); }
  Hid(Hid&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      close_ = other.close_;
      other.id_ = -1;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Forgets the identifier without closing it (for when the library may no longer be called).
  void release() { id_ = -1; }
  // Closes now; returns the close function's status (0 when nothing was open).
  herr_t reset() {
    herr_t status = 0;
    if (id_ >= 0 && close_ != nullptr) status = close_(id_);
    id_ = -1;
    return status;
  }

 private:
  hid_t id_ = -1;
  Close close_ = nullptr;
};

// While alive, HDF5 prints nothing on failure (its automatic error-stack printing is switched
// off for this thread and restored afterwards); failures reach the caller as fct::Error instead.
class QuietHdf5 {
 public:
  QuietHdf5();
  ~QuietHdf5();
  QuietHdf5(const QuietHdf5&) = delete;
  QuietHdf5& operator=(const QuietHdf5&) = delete;

 private:
  H5E_auto2_t function_ = nullptr;
  void* data_ = nullptr;
};

// HDF5's reason for the last failure, from its error stack ("unable to open file (file signature
// not found)"), then clears the stack. Empty when the stack is empty.
std::string hdf5_reason();

// Throws fct::Error("<what>: <HDF5's reason>") when id < 0; returns id otherwise.
hid_t check_id(hid_t id, const std::string& what);
// Throws fct::Error("<what>: <HDF5's reason>") when status < 0.
void check_status(herr_t status, const std::string& what);

// "float32", "int64", "string", ... for a stored datatype.
std::string hdf5_type_name(hid_t type);

// The extents of a dataset's dataspace.
std::vector<int64_t> dataset_shape(hid_t dataset, const std::string& what);

// One dataset of a file, for messages that say what a file holds.
struct DatasetSummary {
  std::string path;  // from the root, without the leading '/': "embeddings", "data/feats"
  std::string type;  // hdf5_type_name()
  std::vector<int64_t> shape;
};

// Every dataset reachable from the root of `file`, groups walked depth first in name order.
// Links that cannot be opened (dangling soft or external links) are left out.
std::vector<DatasetSummary> list_datasets(hid_t file);

}  // namespace fct::store::detail
