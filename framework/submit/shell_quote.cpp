#include "framework/submit/shell_quote.h"

#include <cctype>

#include "framework/core/error.h"

namespace fct::submit {

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string shell_command_line(const std::vector<std::string>& words) {
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + shell_quote(w);
  return line;
}

std::string slurm_filename(const std::string& path, const std::string& what) {
  std::string out;
  for (const char c : path) {
    if (c == '\\' || c == '\n' || c == '\r')
      throw ConfigError(what + " '" + path +
                        "' holds a backslash or a line break, which SLURM file names cannot hold");
    out += c == '%' ? std::string("%%") : std::string(1, c);
  }
  return out;
}

std::string plain_name(const std::string& text) {
  std::string out;
  for (const char c : text)
    out +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '_';
  return out.empty() ? "job" : out;
}

}  // namespace fct::submit
