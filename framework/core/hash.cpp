#include "framework/core/hash.h"

#include <cstdio>

namespace fct {

std::string to_hex(uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

}  // namespace fct
