// Value checks used in the visit() methods of config structs. A check returns "" when the value is
// valid, otherwise a message that completes "expected ...".
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace fct::config {

template <class T>
using Check = std::function<std::string(const T&)>;

Check<double> positive();
Check<double> at_least(double minimum);
Check<double> in_range(double minimum, double maximum);
// A share of something that must not be empty: (0, 1].
Check<double> positive_fraction();

template <class T>
Check<T> at_least(T minimum) {
  return [minimum](const T& value) {
    return value >= minimum ? std::string() : "a value >= " + std::to_string(minimum);
  };
}

template <class T>
Check<T> in_range(T minimum, T maximum) {
  return [minimum, maximum](const T& value) {
    return (value >= minimum && value <= maximum)
               ? std::string()
               : "a value in [" + std::to_string(minimum) + ", " + std::to_string(maximum) + "]";
  };
}

Check<std::string> not_empty();
Check<std::string> one_of(std::vector<std::string> allowed);

// Applies `check` to every element of a list.
template <class T>
Check<std::vector<T>> each(Check<T> check) {
  return [check](const std::vector<T>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      std::string problem = check(values[i]);
      if (!problem.empty()) return problem + " for element " + std::to_string(i);
    }
    return std::string();
  };
}

}  // namespace fct::config
