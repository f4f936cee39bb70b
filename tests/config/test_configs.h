// Small config structs and helpers shared by the config tests: every supported field type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/checks.h"
#include "framework/core/error.h"

namespace fct::config::testing {

struct Point {
  int64_t x = 0;
  double weight = 1.0;

  template <class V>
  void visit(V& v) {
    v("x", x, "coordinate");
    v("weight", weight, "weight", positive());
  }
};

struct AllTypes {
  bool flag = false;
  int count = 3;
  int64_t big = 1;
  double ratio = 0.5;
  std::string label = "default";
  std::vector<std::string> tags;
  std::vector<double> ratios = {0.5};
  std::vector<bool> switches;
  std::vector<int> sizes = {1, 2};
  Point origin;
  std::vector<Point> points;

  template <class V>
  void visit(V& v) {
    v("flag", flag, "a boolean");
    v("count", count, "an int", at_least(0));
    v("big", big, "an int64");
    v("ratio", ratio, "a double", in_range(0.0, 1.0));
    v("label", label, "a string");
    v("tags", tags, "strings");
    v("ratios", ratios, "doubles");
    v("switches", switches, "booleans");
    v("sizes", sizes, "ints");
    v("origin", origin, "a nested struct");
    v("points", points, "a list of structs");
  }
};

// A key without a valid default is required.
struct Required {
  std::string token;
  template <class V>
  void visit(V& v) {
    v("token", token, "must be given", not_empty());
  }
};

// The ConfigError message `f` throws, or "<no error>".
template <class F>
std::string config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "<no error>";
}

}  // namespace fct::config::testing
