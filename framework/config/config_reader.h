// Fills any config struct with a visit() method from a YAML tree, reporting every problem as a
// fct::ConfigError that starts with "file:line:column:" (or the command-line override that supplied
// the value) and names the full dotted key path.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "framework/config/checks.h"
#include "framework/config/enum_names.h"
#include "framework/config/registered_names.h"
#include "framework/core/error.h"

namespace fct::config {

// Where the values of a YAML tree came from: the file, except for the subtrees that command-line
// overrides replaced. Error messages name one or the other. It also carries the registries' names
// that `registered(...)` fields are checked against.
class Source {
 public:
  Source(std::string file, const RegisteredNames& names) : file_(std::move(file)), names_(names) {}

  const std::string& file() const { return file_; }
  const RegisteredNames& names() const { return names_; }

  // The override `text` set the value at `key_path` (and everything below it).
  void record_override(std::string key_path, std::string text);

  // The text of the last override that set `key_path` or a key above it; nullptr for file values.
  const std::string* override_for(const std::string& key_path) const;

  // "file:line:column: " (1-based, from `mark`) or "command line override '...': ".
  std::string where(const std::string& key_path, const YAML::Mark& mark) const;

 private:
  std::string file_;
  const RegisteredNames& names_;
  std::vector<std::pair<std::string, std::string>> overrides_;  // (key path, text), applied order
};

// Strict scalar parsing (YAML plain scalars): the whole text must be the value.
std::optional<int64_t> parse_integer(const std::string& text);
std::optional<double> parse_number(const std::string& text);  // also .inf, -.inf, .nan
std::optional<bool> parse_bool(const std::string& text);      // true/false, True/False, TRUE/FALSE

// Shortest text that reads back as exactly `value` ("0.1", "1e-08", "2.0", ".inf").
std::string format_number(double value);

// "a.b" + "c" -> "a.b.c"; "" + "c" -> "c".
std::string join_key(const std::string& prefix, const std::string& key);

// Reads a whole file / a string into a YAML tree; a missing file or a syntax error is a
// ConfigError at file:line:column.
YAML::Node load_yaml_file(const std::string& path);
YAML::Node load_yaml_text(const std::string& text, const std::string& source_name);

namespace detail {

// Accepts any visit() call; only used to detect config structs.
struct AnyVisitor {
  template <class... Args>
  void operator()(Args&&...) {}
};

template <class T, class = void>
struct IsConfigStruct : std::false_type {};
template <class T>
struct IsConfigStruct<T,
                      std::void_t<decltype(std::declval<T&>().visit(std::declval<AnyVisitor&>()))>>
    : std::true_type {};

// Structs whose keys constrain each other say so in `std::string cross_check() const` ("" = fine).
template <class T, class = void>
struct HasCrossCheck : std::false_type {};
template <class T>
struct HasCrossCheck<T, std::void_t<decltype(std::declval<const T&>().cross_check())>>
    : std::true_type {};

template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};

// Keeps a check argument out of template deduction, so a lambda converts to Check<T>.
template <class T>
struct NonDeduced {
  using type = T;
};

}  // namespace detail

template <class T>
inline constexpr bool is_config_struct_v = detail::IsConfigStruct<T>::value;
template <class T>
inline constexpr bool is_vector_v = detail::IsVector<T>::value;

// The key being read: for messages.
struct ReadContext {
  const Source& source;
  std::string path;  // full dotted key path, "" for the top level
  YAML::Mark mark;   // where the value is written (the key's position for an empty value)
};

[[noreturn]] void throw_type_error(const YAML::Node& node, const std::string& expected,
                                   const ReadContext& context);
[[noreturn]] void throw_check_error(const YAML::Node& node, const std::string& problem,
                                    bool quote_scalar, const ReadContext& context);
// "expected one of: a, b, got 'c' (did you mean 'a'?)"
[[noreturn]] void throw_choice_error(const YAML::Node& node,
                                     const std::vector<std::string>& allowed,
                                     const ReadContext& context);

// Rejects unknown (with a suggestion), duplicate and non-scalar keys of a map.
void check_keys(const YAML::Node& map, const std::vector<std::string>& known,
                const ReadContext& context);

// One overload per supported scalar type.
void read_value(const YAML::Node& node, bool& out, const ReadContext& context);
void read_value(const YAML::Node& node, int64_t& out, const ReadContext& context);
void read_value(const YAML::Node& node, int& out, const ReadContext& context);
void read_value(const YAML::Node& node, double& out, const ReadContext& context);
void read_value(const YAML::Node& node, std::string& out, const ReadContext& context);
// Integer lists also take inclusive ranges as elements: [0-499] or ["0-4", 7] (class subsets).
void read_value(const YAML::Node& node, std::vector<int64_t>& out, const ReadContext& context);
template <class T>
void read_value(const YAML::Node& node, std::vector<T>& out, const ReadContext& context);
template <class T>
void read_value(const YAML::Node& node, T& out, const ReadContext& context);

// Fails unless `value` is one of the names `check` stands for.
void check_registered(const YAML::Node& node, const std::string& value, const Registered& check,
                      const ReadContext& context);

// Collects the key names a struct declares.
class KeyNames {
 public:
  template <class T, class... Rest>
  void operator()(const std::string& key, T&, const std::string&, Rest&&...) {
    names_.push_back(key);
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
};

// The visitor that reads one map into one struct.
class StructReader {
 public:
  StructReader(YAML::Node map, ReadContext context)
      : map_(std::move(map)), context_(std::move(context)) {}

  template <class T>
  void operator()(const std::string& key, T& field, const std::string& doc) {
    read(key, field, static_cast<const Check<T>*>(nullptr));
  }
  template <class T>
  void operator()(const std::string& key, T& field, const std::string& doc,
                  const typename detail::NonDeduced<Check<T>>::type& check) {
    read(key, field, &check);
  }
  // A registry name, or a list of them.
  template <class T>
  void operator()(const std::string& key, T& field, const std::string& doc,
                  const Registered& check) {
    static_assert(std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<std::string>>,
                  "registered() checks strings and lists of strings");
    read(key, field, static_cast<const Check<T>*>(nullptr));
    YAML::Node value;
    ReadContext child_context{context_.source, join_key(context_.path, key), context_.mark};
    for (auto it = map_.begin(); it != map_.end(); ++it)
      if (it->first.Scalar() == key) {
        value.reset(it->second);
        child_context.mark = it->second.Mark();
      }
    if constexpr (std::is_same_v<T, std::string>) {
      check_registered(value, field, check, child_context);
    } else {
      for (std::size_t i = 0; i < field.size(); ++i) {
        const YAML::Node element = value.IsSequence() ? value[i] : value;
        ReadContext element_context{child_context.source,
                                    child_context.path + "[" + std::to_string(i) + "]",
                                    element.IsDefined() ? element.Mark() : child_context.mark};
        check_registered(element, field[i], check, element_context);
      }
    }
  }

 private:
  template <class T>
  void read(const std::string& key, T& field, const Check<T>* check) {
    ReadContext child_context{context_.source, join_key(context_.path, key), context_.mark};
    YAML::Node value;
    bool found = false;
    for (auto it = map_.begin(); it != map_.end(); ++it) {
      if (it->first.Scalar() != key) continue;
      value.reset(it->second);
      found = true;
      // An empty value's mark points past it, at the next token: the key is more useful.
      const YAML::Mark value_mark = it->second.Mark();
      child_context.mark = (value.IsNull() && value_mark.line != it->first.Mark().line)
                               ? it->first.Mark()
                               : value_mark;
      break;
    }
    if (found) {
      read_value(value, field, child_context);
      if (check) {
        const std::string problem = (*check)(field);
        if (!problem.empty())
          throw_check_error(value, problem, std::is_same_v<T, std::string>, child_context);
      }
    } else if (check) {
      // A default that fails its check makes the key required.
      const std::string problem = (*check)(field);
      if (!problem.empty())
        throw ConfigError(context_.source.where(context_.path, context_.mark) + "missing key '" +
                          child_context.path + "': expected " + problem);
    }
  }

  const YAML::Node map_;
  ReadContext context_;
};

template <class T>
void read_struct(const YAML::Node& node, T& out, const ReadContext& context) {
  static_assert(is_config_struct_v<T>,
                "config field type not supported: use bool, int, int64_t, double, std::string, "
                "a std::vector of those, a struct with visit(), or a std::vector of such structs");
  // An empty value (`data:`) keeps every default.
  if (!node.IsNull() && !node.IsMap()) throw_type_error(node, "a map of keys", context);
  const YAML::Node map = node.IsMap() ? node : YAML::Node(YAML::NodeType::Map);
  KeyNames names;
  out.visit(names);
  check_keys(map, names.names(), context);
  StructReader reader(map, context);
  out.visit(reader);
  if constexpr (detail::HasCrossCheck<T>::value) {
    const std::string problem = out.cross_check();
    if (!problem.empty())
      throw ConfigError(context.source.where(context.path, context.mark) +
                        (context.path.empty() ? "" : "'" + context.path + "': ") + problem);
  }
}

template <class T>
void read_value(const YAML::Node& node, T& out, const ReadContext& context) {
  if constexpr (is_named_enum_v<T>) {
    std::string name;
    read_value(node, name, context);
    const auto value = enum_from_name<T>(name);
    if (!value) throw_choice_error(node, names_of<T>(), context);
    out = *value;
  } else {
    read_struct(node, out, context);
  }
}

template <class T>
void read_value(const YAML::Node& node, std::vector<T>& out, const ReadContext& context) {
  if (!node.IsSequence()) throw_type_error(node, "a list", context);
  std::vector<T> values;
  values.reserve(node.size());
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node element = node[i];
    ReadContext element_context{context.source, context.path + "[" + std::to_string(i) + "]",
                                element.Mark()};
    T value{};  // a local, not values[i]: std::vector<bool> has no bool& elements
    read_value(element, value, element_context);
    values.push_back(std::move(value));
  }
  out = std::move(values);
}

// Reads a whole config. `root` is the top-level map (null for an empty file: every default).
template <class T>
T read_config(const YAML::Node& root, const Source& source) {
  T config{};
  read_struct(root, config, ReadContext{source, "", root.Mark()});
  return config;
}

}  // namespace fct::config
