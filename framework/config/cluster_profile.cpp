#include "framework/config/cluster_profile.h"

#include <cctype>
#include <optional>

namespace fct::config {
namespace {

std::optional<int64_t> digits(const std::string& text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  for (const char c : text)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return std::stoll(text);
}

// The seconds of a --time value, or nullopt when it is not one.
std::optional<int64_t> parse_slurm_time(const std::string& text) {
  std::string clock = text;
  int64_t days = 0;
  const auto dash = text.find('-');
  if (dash != std::string::npos) {
    const auto d = digits(text.substr(0, dash));
    if (!d) return std::nullopt;
    days = *d;
    clock = text.substr(dash + 1);
  }
  std::vector<int64_t> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = clock.find(':', start);
    const auto part = digits(clock.substr(start, colon - start));
    if (!part) return std::nullopt;
    parts.push_back(*part);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3) return std::nullopt;
  if (dash != std::string::npos) {  // D-H, D-H:M, D-H:M:S
    while (parts.size() < 3) parts.push_back(0);
    return ((days * 24 + parts[0]) * 60 + parts[1]) * 60 + parts[2];
  }
  if (parts.size() == 1) return parts[0] * 60;             // M
  if (parts.size() == 2) return parts[0] * 60 + parts[1];  // M:S
  return (parts[0] * 60 + parts[1]) * 60 + parts[2];       // H:M:S
}

}  // namespace

Check<std::string> slurm_name() {
  return [](const std::string& value) {
    for (const char c : value)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-' &&
          c != ',')
        return std::string("letters, digits, '_', '.', '-' or ','");
    return std::string();
  };
}

Check<std::string> slurm_time() {
  return [](const std::string& value) {
    const auto seconds = parse_slurm_time(value);
    return seconds && *seconds > 0 ? std::string()
                                   : "a time limit as sbatch takes it (M, M:S, H:M:S, D-H, "
                                     "D-H:M or D-H:M:S), above zero";
  };
}

int64_t slurm_time_seconds(const std::string& text) {
  return parse_slurm_time(text).value_or(0);
}

}  // namespace fct::config
