// Stable 64-bit hashes (FNV-1a) for comparing configs, parameters and files across ranks and runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fct {

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

inline uint64_t fnv1a(const void* data, std::size_t bytes, uint64_t hash = kFnvOffset) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < bytes; ++i) {
    hash ^= p[i];
    hash *= kFnvPrime;
  }
  return hash;
}

inline uint64_t fnv1a(const std::string& text, uint64_t hash = kFnvOffset) {
  return fnv1a(text.data(), text.size(), hash);
}

// 16 lower-case hex digits.
std::string to_hex(uint64_t value);

// FNV-1a of a file's bytes, in hex: the name of an exact file (a model file, an imported
// embeddings file). Throws fct::Error naming the file when it cannot be read.
std::string file_hash(const std::string& path);

}  // namespace fct
