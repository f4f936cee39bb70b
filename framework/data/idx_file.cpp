#include "framework/data/idx_file.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>

#include "framework/core/error.h"

namespace fct::data {
namespace {

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%08X", static_cast<unsigned>(value));
  return text;
}

uint32_t big_endian_u32(const unsigned char* bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         uint32_t{bytes[3]};
}

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to `bytes` bytes; returns how many were read. A zlib error (corrupt stream) throws;
// a short count means the file ended.
int64_t read_bytes(gzFile file, const std::string& path, void* buffer, int64_t bytes) {
  auto* out = static_cast<unsigned char*>(buffer);
  int64_t done = 0;
  while (done < bytes) {
    // gzread takes an unsigned count but returns int: stay well inside both.
    const auto chunk = static_cast<unsigned>(std::min<int64_t>(bytes - done, 1 << 30));
    const int got = gzread(file, out + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      // A gzip stream that stops early is a truncated file: the caller reports the byte count.
      if (code == Z_BUF_ERROR) break;
      throw DataError(path + ": cannot decompress: " + (message ? message : "zlib error"));
    }
    if (got == 0) break;
    done += got;
  }
  return done;
}

torch::ScalarType scalar_type(IdxType type) {
  switch (type) {
    case IdxType::kUInt8:
      return torch::kUInt8;
    case IdxType::kInt8:
      return torch::kInt8;
    case IdxType::kInt16:
      return torch::kInt16;
    case IdxType::kInt32:
      return torch::kInt32;
    case IdxType::kFloat32:
      return torch::kFloat32;
    case IdxType::kFloat64:
      return torch::kFloat64;
  }
  return torch::kUInt8;
}

bool known_type(uint8_t code) {
  return code == 0x08 || code == 0x09 || code == 0x0B || code == 0x0C || code == 0x0D ||
         code == 0x0E;
}

int element_size(IdxType type) {
  switch (type) {
    case IdxType::kUInt8:
    case IdxType::kInt8:
      return 1;
    case IdxType::kInt16:
      return 2;
    case IdxType::kInt32:
    case IdxType::kFloat32:
      return 4;
    case IdxType::kFloat64:
      return 8;
  }
  return 1;
}

// IDX stores multi-byte elements big-endian.
void to_native_order(unsigned char* data, int64_t count, int size) {
  if (size == 1) return;
  for (int64_t i = 0; i < count; ++i) std::reverse(data + i * size, data + (i + 1) * size);
}

}  // namespace

std::string idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::kUInt8:
      return "uint8";
    case IdxType::kInt8:
      return "int8";
    case IdxType::kInt16:
      return "int16";
    case IdxType::kInt32:
      return "int32";
    case IdxType::kFloat32:
      return "float32";
    case IdxType::kFloat64:
      return "float64";
  }
  return "unknown";
}

IdxArray read_idx_file(const std::string& path, IdxType expected_type, int expected_ndims) {
  GzHandle file(gzopen(path.c_str(), "rb"));
  if (!file) throw DataError(path + ": cannot open IDX file");
  gzbuffer(file.get(), 1 << 17);

  const uint32_t expected_magic =
      (static_cast<uint32_t>(expected_type) << 8) | static_cast<uint32_t>(expected_ndims);
  const std::string expectation = "expected IDX magic " + hex32(expected_magic) + " (" +
                                  idx_type_name(expected_type) + ", " +
                                  std::to_string(expected_ndims) + " dims)";

  unsigned char header[4];
  const int64_t header_bytes = read_bytes(file.get(), path, header, 4);
  if (header_bytes < 4)
    throw DataError(path + ": " + expectation + ", found a file of " +
                    std::to_string(header_bytes) + " bytes");
  const uint32_t magic = big_endian_u32(header);
  if (header[0] != 0 || header[1] != 0 || !known_type(header[2]))
    throw DataError(path + ": " + expectation + ", found " + hex32(magic) + " (not an IDX file)");
  if (magic != expected_magic)
    throw DataError(path + ": " + expectation + ", found " + hex32(magic) + " (" +
                    idx_type_name(static_cast<IdxType>(header[2])) + ", " +
                    std::to_string(header[3]) + " dims)");

  std::vector<unsigned char> dim_bytes(4 * static_cast<std::size_t>(expected_ndims));
  const int64_t dims_read =
      read_bytes(file.get(), path, dim_bytes.data(), static_cast<int64_t>(dim_bytes.size()));
  if (dims_read < static_cast<int64_t>(dim_bytes.size()))
    throw DataError(path + ": truncated header: expected " + std::to_string(dim_bytes.size()) +
                    " bytes of dimensions, found " + std::to_string(dims_read));

  IdxArray result;
  result.type = expected_type;
  int64_t count = 1;
  for (int d = 0; d < expected_ndims; ++d) {
    const int64_t size = big_endian_u32(dim_bytes.data() + 4 * d);
    result.dims.push_back(size);
    if (size != 0 && count > std::numeric_limits<int64_t>::max() / 16 / size)
      throw DataError(path + ": dimensions too large");
    count *= size;
  }
  const int size = element_size(expected_type);
  const int64_t payload = count * size;

  // Memory grows with what the file holds, not with what its header claims: a damaged 20-byte
  // file must not allocate the 6 GB its dimensions ask for (found by fuzzing). The stream's
  // length is not known before reading (gzip), so the buffer at most doubles per read.
  auto buffer = std::make_unique<std::vector<unsigned char>>();
  int64_t got = 0;
  while (got < payload) {
    const int64_t want = std::min(payload - got, std::max<int64_t>(int64_t{1} << 20, got));
    buffer->resize(static_cast<std::size_t>(got + want));
    const int64_t n = read_bytes(file.get(), path, buffer->data() + got, want);
    got += n;
    if (n < want) break;
  }
  if (got < payload)
    throw DataError(path + ": truncated: expected " + std::to_string(payload) +
                    " payload bytes after the header, found " + std::to_string(got));
  unsigned char extra[64];
  const int64_t trailing = read_bytes(file.get(), path, extra, sizeof(extra));
  if (trailing > 0)
    throw DataError(path + ": expected " + std::to_string(payload) +
                    " payload bytes after the header, found trailing data after them");
  const auto options = torch::TensorOptions().dtype(scalar_type(expected_type));
  if (payload == 0) {
    result.data = torch::empty(result.dims, options);
    return result;
  }
  to_native_order(buffer->data(), count, size);
  auto* bytes = buffer.release();
  result.data = torch::from_blob(
      bytes->data(), result.dims, [bytes](void*) { delete bytes; }, options);
  return result;
}

}  // namespace fct::data
