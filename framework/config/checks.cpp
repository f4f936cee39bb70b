// The non-template value checks of checks.h.
#include "framework/config/checks.h"

#include <charconv>
#include <utility>

namespace fct::config {

namespace {

// Shortest exact text of a bound: "0", "0.5", "1e-08".
std::string format_bound(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace

Check<double> positive() {
  return [](const double& value) { return value > 0 ? std::string() : "a value > 0"; };
}

Check<double> at_least(double minimum) {
  return [minimum](const double& value) {
    return value >= minimum ? std::string() : "a value >= " + format_bound(minimum);
  };
}

Check<double> in_range(double minimum, double maximum) {
  return [minimum, maximum](const double& value) {
    // Written so that NaN fails too.
    return (value >= minimum && value <= maximum)
               ? std::string()
               : "a value in [" + format_bound(minimum) + ", " + format_bound(maximum) + "]";
  };
}

Check<double> positive_fraction() {
  return [](const double& value) {
    return (value > 0 && value <= 1) ? std::string() : "a value in (0, 1]";
  };
}

Check<std::string> not_empty() {
  return [](const std::string& value) { return value.empty() ? "a non-empty string" : ""; };
}

Check<std::string> one_of(std::vector<std::string> allowed) {
  return [allowed = std::move(allowed)](const std::string& value) {
    for (const auto& candidate : allowed)
      if (candidate == value) return std::string();
    std::string message = "one of: ";
    for (std::size_t i = 0; i < allowed.size(); ++i) message += (i ? ", " : "") + allowed[i];
    return message;
  };
}

}  // namespace fct::config
