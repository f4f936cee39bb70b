// For the store tests: HDF5 files written with the serial C API in any stored type, as h5py and
// numpy write them (foreign embeddings files), or as a store when given `fct_store_version`.
#pragma once

#include <gtest/gtest.h>
#include <hdf5.h>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace fct::testing {

struct Dataset {
  std::string name;  // may name groups on the way: "data/feats"
  hid_t file_type;
  torch::Tensor values;  // any shape; written through doubles, converted by HDF5
};

inline void write_h5(const std::string& path, const std::vector<Dataset>& datasets,
                     const std::map<std::string, std::string>& attributes = {}) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0) << path;
  const hid_t links = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(links, 1);
  for (const auto& dataset : datasets) {
    const auto values = dataset.values.to(torch::kFloat64).contiguous();
    std::vector<hsize_t> dims(values.sizes().begin(), values.sizes().end());
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t id = H5Dcreate2(file, dataset.name.c_str(), dataset.file_type, space, links,
                                H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(id, 0) << dataset.name;
    ASSERT_GE(H5Dwrite(id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data_ptr()), 0);
    H5Dclose(id);
    H5Sclose(space);
  }
  H5Pclose(links);
  const hid_t text = H5Tcopy(H5T_C_S1);
  H5Tset_size(text, H5T_VARIABLE);
  H5Tset_cset(text, H5T_CSET_UTF8);
  const hid_t scalar = H5Screate(H5S_SCALAR);
  for (const auto& [key, value] : attributes) {
    const hid_t attribute = H5Acreate2(file, key.c_str(), text, scalar, H5P_DEFAULT, H5P_DEFAULT);
    const char* data = value.c_str();
    ASSERT_GE(H5Awrite(attribute, text, &data), 0);
    H5Aclose(attribute);
  }
  H5Sclose(scalar);
  H5Tclose(text);
  H5Fclose(file);
}

}  // namespace fct::testing
