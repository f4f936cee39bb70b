#include "framework/config/sweep.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <set>

#include "framework/core/error.h"
#include "framework/core/trim.h"

namespace fct::config {
namespace {

// Splits at commas that are not inside brackets, braces, parentheses or quotes.
std::vector<std::string> split_top_level(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  char quote = 0;
  for (const char c : text) {
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{' || c == '(') {
      ++depth;
    } else if (c == ']' || c == '}' || c == ')') {
      --depth;
    } else if (c == ',' && depth == 0) {
      parts.push_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  parts.push_back(trim(current));
  return parts;
}

bool parse_int(const std::string& text, int64_t& out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  std::size_t used = 0;
  try {
    out = std::stoll(t, &used);
  } catch (...) {
    return false;
  }
  return used == t.size();
}

// The values of `range(...)`, `choice(...)` or a comma list; empty when `value` is no sweep.
std::vector<std::string> sweep_values(const std::string& argument, const std::string& value) {
  const auto call = [&](const std::string& name) -> std::optional<std::string> {
    if (value.rfind(name + "(", 0) == 0 && value.size() > name.size() + 1 && value.back() == ')')
      return value.substr(name.size() + 1, value.size() - name.size() - 2);
    return std::nullopt;
  };
  if (const auto inside = call("range")) {
    const auto parts = split_top_level(*inside);
    int64_t start = 0, stop = 0, step = 1;
    if (parts.size() < 2 || parts.size() > 3 || !parse_int(parts[0], start) ||
        !parse_int(parts[1], stop) || (parts.size() == 3 && !parse_int(parts[2], step)) ||
        step == 0)
      throw ConfigError("command line sweep '" + argument +
                        "': range takes integers (start, stop[, step]) with step != 0");
    std::vector<std::string> values;
    for (int64_t v = start; step > 0 ? v < stop : v > stop; v += step) {
      values.push_back(std::to_string(v));
      if (values.size() > 100000)
        throw ConfigError("command line sweep '" + argument + "': too many values");
    }
    if (values.empty()) throw ConfigError("command line sweep '" + argument + "': empty range");
    return values;
  }
  if (const auto inside = call("choice")) {
    auto values = split_top_level(*inside);
    for (const auto& v : values)
      if (v.empty()) throw ConfigError("command line sweep '" + argument + "': empty choice");
    return values;
  }
  auto parts = split_top_level(value);
  if (parts.size() < 2) return {};
  for (const auto& v : parts)
    if (v.empty()) throw ConfigError("command line sweep '" + argument + "': empty value");
  return parts;
}

}  // namespace

std::string override_value_text(const YAML::Node& node) {
  if (node.IsScalar()) {
    // A quoted scalar stays a string when the override parser reads it back.
    if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
      YAML::Emitter out;
      out << YAML::DoubleQuoted << node.Scalar();
      return out.c_str();
    }
    return node.Scalar();
  }
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

SweepSpec read_sweep_block(const YAML::Node& block, const std::string& source) {
  SweepSpec spec;
  if (!block || block.IsNull()) return spec;
  const std::string where = source + ": sweep";
  if (!block.IsMap()) throw ConfigError(where + ": expected a map with 'mode' and 'params'");
  for (const auto& item : block) {
    const std::string key = item.first.Scalar();
    if (key != "mode" && key != "params")
      throw ConfigError(where + ": unknown key '" + key + "' (known: mode, params)");
  }
  if (const YAML::Node mode = block["mode"]) {
    const std::string text = mode.IsScalar() ? mode.Scalar() : "";
    if (text == "product")
      spec.mode = SweepMode::kProduct;
    else if (text == "zip")
      spec.mode = SweepMode::kZip;
    else
      throw ConfigError(where + ".mode: expected product or zip, not '" + text + "'");
  }
  const YAML::Node params = block["params"];
  if (!params || !params.IsMap() || params.size() == 0)
    throw ConfigError(where + ".params: expected a map of config keys to lists of values");
  for (const auto& item : params) {
    SweepAxis axis;
    axis.key = item.first.Scalar();
    if (!item.second.IsSequence() || item.second.size() == 0)
      throw ConfigError(where + ".params." + axis.key + ": expected a non-empty list of values");
    for (const auto& value : item.second) axis.values.push_back(override_value_text(value));
    spec.axes.push_back(std::move(axis));
  }
  return spec;
}

void split_multirun_arguments(const std::vector<std::string>& arguments,
                              std::vector<std::string>& overrides, std::vector<SweepAxis>& axes) {
  std::set<std::string> keys;
  for (const auto& argument : arguments) {
    const auto equals = argument.find('=');
    const bool plain_key =
        equals != std::string::npos && equals > 0 && argument[0] != '+' && argument[0] != '~';
    std::vector<std::string> values;
    if (plain_key) values = sweep_values(argument, trim(argument.substr(equals + 1)));
    if (values.empty()) {
      overrides.push_back(argument);
      continue;
    }
    SweepAxis axis{trim(argument.substr(0, equals)), std::move(values)};
    if (!keys.insert(axis.key).second)
      throw ConfigError("command line sweeps '" + axis.key + "' twice");
    axes.push_back(std::move(axis));
  }
}

SweepSpec merge_sweeps(SweepSpec file, const std::vector<SweepAxis>& command_line) {
  for (const auto& axis : command_line) {
    bool replaced = false;
    for (auto& existing : file.axes)
      if (existing.key == axis.key) {
        existing = axis;
        replaced = true;
      }
    if (!replaced) file.axes.push_back(axis);
  }
  return file;
}

std::vector<SweepPoint> expand_sweep(const SweepSpec& spec) {
  std::vector<SweepPoint> points;
  if (spec.axes.empty()) return points;
  std::vector<std::vector<std::size_t>> choices;  // per point, the value index of each axis
  if (spec.mode == SweepMode::kZip) {
    const std::size_t n = spec.axes.front().values.size();
    for (const auto& axis : spec.axes)
      if (axis.values.size() != n)
        throw ConfigError("sweep mode zip needs axes of equal length: '" + spec.axes.front().key +
                          "' has " + std::to_string(n) + " values, '" + axis.key + "' " +
                          std::to_string(axis.values.size()));
    for (std::size_t i = 0; i < n; ++i) choices.emplace_back(spec.axes.size(), i);
  } else {
    std::size_t total = 1;
    for (const auto& axis : spec.axes) {
      total *= axis.values.size();
      if (total > 100000) throw ConfigError("sweep has more than 100 000 points");
    }
    for (std::size_t p = 0; p < total; ++p) {
      std::vector<std::size_t> pick(spec.axes.size());
      std::size_t rest = p;
      for (std::size_t a = spec.axes.size(); a-- > 0;) {  // last axis fastest
        pick[a] = rest % spec.axes[a].values.size();
        rest /= spec.axes[a].values.size();
      }
      choices.push_back(std::move(pick));
    }
  }
  for (std::size_t p = 0; p < choices.size(); ++p) {
    SweepPoint point;
    point.index = static_cast<int64_t>(p);
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      const std::string text = spec.axes[a].key + "=" + spec.axes[a].values[choices[p][a]];
      point.overrides.push_back(text);
      point.label += (point.label.empty() ? "" : " ") + text;
    }
    points.push_back(std::move(point));
  }
  return points;
}

std::string point_directory_name(const SweepPoint& point, int64_t total) {
  const int digits =
      std::max<int>(3, static_cast<int>(std::to_string(std::max<int64_t>(total - 1, 0)).size()));
  char index[32];
  std::snprintf(index, sizeof index, "%0*lld", digits, static_cast<long long>(point.index));
  std::string name = std::string(index) + "_";
  for (const char c : point.label) {
    const bool safe =
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '=';
    name += safe ? c : '_';
  }
  if (name.size() > 120) name.resize(120);
  return name;
}

}  // namespace fct::config
