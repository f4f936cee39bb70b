// The non-template half of the config reader: scalar parsing, YAML loading and error messages.
#include "framework/config/config_reader.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "framework/core/suggest.h"

namespace fct::config {

namespace {

const char kStringTag[] = "tag:yaml.org,2002:str";

// The text of a plain (unquoted, untagged-as-string) scalar: only those can be numbers or booleans.
std::optional<std::string> plain_scalar(const YAML::Node& node) {
  if (!node.IsScalar() || node.Tag() == "!" || node.Tag() == kStringTag) return std::nullopt;
  return node.Scalar();
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      if (!plain_scalar(node)) return "the string '" + node.Scalar() + "'";
      return "'" + node.Scalar() + "'";
    default:
      return "null";
  }
}

std::string position(const std::string& file, const YAML::Mark& mark) {
  // Marks are 0-based; a tree with no position (an empty file) reports its start.
  const int line = mark.line < 0 ? 1 : mark.line + 1;
  const int column = mark.column < 0 ? 1 : mark.column + 1;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}

bool is_path_prefix(const std::string& prefix, const std::string& path) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

}  // namespace

void Source::record_override(std::string key_path, std::string text) {
  overrides_.emplace_back(std::move(key_path), std::move(text));
}

const std::string* Source::override_for(const std::string& key_path) const {
  for (auto it = overrides_.rbegin(); it != overrides_.rend(); ++it)
    if (is_path_prefix(it->first, key_path)) return &it->second;
  return nullptr;
}

std::string Source::where(const std::string& key_path, const YAML::Mark& mark) const {
  if (const std::string* text = override_for(key_path))
    return "command line override '" + *text + "': ";
  return position(file_, mark);
}

std::optional<int64_t> parse_integer(const std::string& text) {
  std::size_t start = 0;
  if (!text.empty() && text[0] == '+') start = 1;  // from_chars takes '-' but not '+'
  if (start == text.size() || (start == 1 && text[1] == '-')) return std::nullopt;
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data() + start, end, value);
  if (result.ec != std::errc() || result.ptr != end) return std::nullopt;
  return value;
}

std::optional<double> parse_number(const std::string& text) {
  // YAML's spellings of infinity and NaN.
  for (const char* inf : {".inf", ".Inf", ".INF"}) {
    if (text == inf || text == std::string("+") + inf)
      return std::numeric_limits<double>::infinity();
    if (text == std::string("-") + inf) return -std::numeric_limits<double>::infinity();
  }
  for (const char* nan : {".nan", ".NaN", ".NAN"})
    if (text == nan) return std::numeric_limits<double>::quiet_NaN();
  std::size_t start = 0;
  if (!text.empty() && text[0] == '+') start = 1;
  if (start == text.size() || (start == 1 && text[1] == '-')) return std::nullopt;
  double value = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data() + start, end, value);
  if (result.ec != std::errc() || result.ptr != end) return std::nullopt;
  return value;
}

std::optional<bool> parse_bool(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

std::string format_number(double value) {
  if (std::isnan(value)) return ".nan";
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  std::string text(buffer, result.ptr);
  // "2" would read as an integer elsewhere; keep it visibly a real number.
  if (text.find_first_not_of("-0123456789") == std::string::npos) text += ".0";
  return text;
}

std::string join_key(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

YAML::Node load_yaml_file(const std::string& path) {
  const YAML::Mark start;  // 1:1
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored))
    throw ConfigError(position(path, start) + "cannot read the config file: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    throw ConfigError(position(path, start) + "cannot read the config file: " +
                      (error ? std::strerror(error) : "cannot open it"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_yaml_text(text.str(), path);
}

YAML::Node load_yaml_text(const std::string& text, const std::string& source_name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& error) {
    throw ConfigError(position(source_name, error.mark) + "YAML syntax error: " + error.msg);
  }
}

void throw_type_error(const YAML::Node& node, const std::string& expected,
                      const ReadContext& context) {
  std::string message = context.source.where(context.path, context.mark);
  if (!context.path.empty()) message += "key '" + context.path + "': ";
  throw ConfigError(message + "expected " + expected + ", got " + describe_node(node));
}

namespace {

std::string check_error_message(const YAML::Node& node, const std::string& problem,
                                bool quote_scalar, const ReadContext& context) {
  std::string got;
  if (node.IsScalar()) {
    got = quote_scalar ? "'" + node.Scalar() + "'" : node.Scalar();
  } else {
    YAML::Emitter out;
    out << YAML::Flow << node;
    got = out.c_str();
  }
  return context.source.where(context.path, context.mark) + "key '" + context.path +
         "': expected " + problem + ", got " + got;
}

}  // namespace

void throw_check_error(const YAML::Node& node, const std::string& problem, bool quote_scalar,
                       const ReadContext& context) {
  throw ConfigError(check_error_message(node, problem, quote_scalar, context));
}

void throw_choice_error(const YAML::Node& node, const std::vector<std::string>& allowed,
                        const ReadContext& context) {
  std::string message = "one of: ";
  for (std::size_t i = 0; i < allowed.size(); ++i) message += (i ? ", " : "") + allowed[i];
  const std::string got = node.IsScalar() ? node.Scalar() : std::string();
  throw ConfigError(check_error_message(node, message, true, context) + did_you_mean(got, allowed));
}

void check_registered(const YAML::Node& node, const std::string& value, const Registered& check,
                      const ReadContext& context) {
  const std::vector<std::string> allowed = context.source.names().accepted(check);
  for (const auto& name : allowed)
    if (name == value) return;
  // A default that is not registered (the key is absent): name the value, not the empty node.
  throw_choice_error(node.IsScalar() ? node : YAML::Node(value), allowed, context);
}

void check_keys(const YAML::Node& map, const std::vector<std::string>& known,
                const ReadContext& context) {
  std::vector<std::pair<std::string, YAML::Mark>> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: `it->first` lives in a temporary
    if (!key.IsScalar())
      throw ConfigError(context.source.where(context.path, key.Mark()) +
                        "expected a key name, got " + describe_node(key));
    const std::string name = key.Scalar();
    const std::string path = join_key(context.path, name);
    bool is_known = false;
    for (const auto& candidate : known) is_known = is_known || candidate == name;
    if (!is_known)
      throw ConfigError(context.source.where(path, key.Mark()) + "unknown key '" + path + "'" +
                        did_you_mean(name, known));
    for (const auto& [previous, mark] : seen)
      if (previous == name)
        throw ConfigError(context.source.where(path, key.Mark()) + "duplicate key '" + path +
                          "' (first written at line " + std::to_string(mark.line + 1) + ")");
    seen.emplace_back(name, key.Mark());
  }
}

void read_value(const YAML::Node& node, bool& out, const ReadContext& context) {
  const auto text = plain_scalar(node);
  const auto value = text ? parse_bool(*text) : std::nullopt;
  if (!value) throw_type_error(node, "true or false", context);
  out = *value;
}

void read_value(const YAML::Node& node, int64_t& out, const ReadContext& context) {
  const auto text = plain_scalar(node);
  const auto value = text ? parse_integer(*text) : std::nullopt;
  if (!value) throw_type_error(node, "an integer", context);
  out = *value;
}

void read_value(const YAML::Node& node, std::vector<int64_t>& out, const ReadContext& context) {
  if (!node.IsSequence()) throw_type_error(node, "a list", context);
  std::vector<int64_t> values;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node element = node[i];
    const ReadContext element_context{context.source, context.path + "[" + std::to_string(i) + "]",
                                      element.Mark()};
    // A range may be quoted ("0-499") or plain (0-499: YAML reads it as a string anyway).
    const std::optional<std::string> text =
        element.IsScalar() ? std::optional<std::string>(element.Scalar()) : std::nullopt;
    const auto dash = text ? text->find('-', 1) : std::string::npos;
    if (dash == std::string::npos) {
      int64_t value = 0;
      read_value(element, value, element_context);
      values.push_back(value);
      continue;
    }
    const auto first = parse_integer(text->substr(0, dash));
    const auto last = parse_integer(text->substr(dash + 1));
    if (!first || !last || *last < *first || *last - *first > 100'000'000)
      throw_type_error(element, "an integer or an inclusive range like 0-499", element_context);
    for (int64_t v = *first; v <= *last; ++v) values.push_back(v);
  }
  out = std::move(values);
}

void read_value(const YAML::Node& node, int& out, const ReadContext& context) {
  int64_t wide = 0;
  read_value(node, wide, context);
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
    throw_type_error(node,
                     "an integer in [" + std::to_string(std::numeric_limits<int>::min()) + ", " +
                         std::to_string(std::numeric_limits<int>::max()) + "]",
                     context);
  out = static_cast<int>(wide);
}

void read_value(const YAML::Node& node, double& out, const ReadContext& context) {
  const auto text = plain_scalar(node);
  const auto value = text ? parse_number(*text) : std::nullopt;
  if (!value) throw_type_error(node, "a number", context);
  out = *value;
}

void read_value(const YAML::Node& node, std::string& out, const ReadContext& context) {
  // Any scalar is a string (`name: 123` is "123"); null, lists and maps are not.
  if (!node.IsScalar()) throw_type_error(node, "a string", context);
  out = node.Scalar();
}

}  // namespace fct::config
