// Reader for IDX files (the MNIST / Fashion-MNIST container), gzip'd or plain: header, big-endian
// dimensions and a payload whose size is checked exactly, so a truncated or padded file is an
// error rather than a silently shorter dataset.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fct::data {

// IDX element types (the third byte of the magic number).
enum class IdxType : uint8_t {
  kUInt8 = 0x08,
  kInt8 = 0x09,
  kInt16 = 0x0B,
  kInt32 = 0x0C,
  kFloat32 = 0x0D,
  kFloat64 = 0x0E,
};

std::string idx_type_name(IdxType type);

struct IdxArray {
  IdxType type = IdxType::kUInt8;
  std::vector<int64_t> dims;
  // The payload in native byte order, shape `dims`, dtype matching `type`, contiguous.
  torch::Tensor data;
};

// Reads `path` (gzip or plain; zlib detects which) and checks that its element type is
// `expected_type` and it has `expected_ndims` dimensions. Throws fct::DataError naming the file
// and what was expected versus found for a bad magic, type, rank, a truncated payload or bytes
// after the payload.
IdxArray read_idx_file(const std::string& path, IdxType expected_type, int expected_ndims);

}  // namespace fct::data
