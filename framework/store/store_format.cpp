#include "framework/store/store_format.h"

#include "framework/core/error.h"
#include "framework/core/provenance.h"

namespace fct::store {

int64_t StoreRows::size() const {
  for (const torch::Tensor* t : {&embeddings, &labels, &ids}) {
    if (t->defined()) return t->dim() == 0 ? 1 : t->size(0);
  }
  return 0;
}

std::pair<int64_t, int64_t> rank_rows(int64_t rows, int rank, int world) {
  if (rows < 0 || world <= 0 || rank < 0 || rank >= world) {
    throw Error("rank_rows: invalid split of " + std::to_string(rows) + " rows for rank " +
                std::to_string(rank) + " of " + std::to_string(world));
  }
  const int64_t base = rows / world;
  const int64_t extra = rows % world;
  const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
  const int64_t end = begin + base + (rank < extra ? 1 : 0);
  return {begin, end};
}

Attributes provenance_attributes(const std::string& model, const std::string& model_hash,
                                 const std::string& config_yaml, const std::string& dataset,
                                 const std::string& split) {
  return {{attribute::kModel, model},
          {attribute::kModelHash, model_hash},
          {attribute::kConfig, config_yaml},
          {attribute::kGitRevision, git_revision()},
          {attribute::kCreated, utc_timestamp()},
          {attribute::kDataset, dataset},
          {attribute::kSplit, split}};
}

std::string attribute_or_empty(const Attributes& attributes, const std::string& key) {
  const auto it = attributes.find(key);
  return it == attributes.end() ? std::string() : it->second;
}

std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return "float32";
    case torch::kFloat64:
      return "float64";
    case torch::kFloat16:
      return "float16";
    case torch::kBFloat16:
      return "bfloat16";
    case torch::kInt64:
      return "int64";
    case torch::kInt32:
      return "int32";
    case torch::kInt16:
      return "int16";
    case torch::kInt8:
      return "int8";
    case torch::kUInt8:
      return "uint8";
    case torch::kBool:
      return "bool";
    default:
      return c10::toString(type);
  }
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::string embedded_by_attribute(int64_t value) {
  return std::string(kEmbeddedBy) + "_" + std::to_string(value);
}

}  // namespace fct::store
