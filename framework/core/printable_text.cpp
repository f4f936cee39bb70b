#include "framework/core/printable_text.h"

#include <cstdio>

namespace fct {

std::string printable_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out += c;  // printable ASCII and UTF-8 sequences pass unchanged
    } else if (c == '\n' || c == '\t') {
      out += c;
    } else {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      out += escaped;
    }
  }
  return out;
}

}  // namespace fct
