// Helpers shared by the dataset layout tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace fct::testing {

// The message of the E that `scan` throws, or "" (then the test fails).
template <class E, class F>
std::string error_of(F scan) {
  try {
    scan();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

inline bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace fct::testing
