// Writes any config struct with a visit() method as YAML: every key, defaults included, in visit
// order. This is the "resolved config" saved with each run; reading it back gives an equal struct.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/config_reader.h"

namespace fct::config {

void write_value(YAML::Emitter& out, bool value);
void write_value(YAML::Emitter& out, int64_t value);
void write_value(YAML::Emitter& out, int value);
void write_value(YAML::Emitter& out, double value);
void write_value(YAML::Emitter& out, const std::string& value);
template <class T>
void write_value(YAML::Emitter& out, const std::vector<T>& values);
template <class T>
void write_value(YAML::Emitter& out, const T& value);  // a config struct or a named enum

// The visitor that writes one struct's keys into an open map.
class StructWriter {
 public:
  explicit StructWriter(YAML::Emitter& out) : out_(out) {}

  template <class T, class... Rest>
  void operator()(const std::string& key, T& field, const std::string& doc, Rest&&...) {
    out_ << YAML::Key << key << YAML::Value;
    write_value(out_, static_cast<const T&>(field));
  }

 private:
  YAML::Emitter& out_;
};

template <class T>
void write_value(YAML::Emitter& out, const std::vector<T>& values) {
  // Lists of scalars read best on one line; lists of structs as blocks of maps.
  if (!is_config_struct_v<T> || values.empty()) out << YAML::Flow;
  out << YAML::BeginSeq;
  for (const auto& value : values) write_value(out, static_cast<const T&>(value));
  out << YAML::EndSeq;
}

template <class T>
void write_value(YAML::Emitter& out, const T& value) {
  if constexpr (is_named_enum_v<T>) {
    write_value(out, name_of(value));
  } else {
    static_assert(is_config_struct_v<T>, "config field type not supported by the writer");
    T copy = value;  // visit() is not const: it hands out references to the fields
    StructWriter writer(out);
    out << YAML::BeginMap;
    copy.visit(writer);
    out << YAML::EndMap;
  }
}

// The whole config as a YAML document (ends with a newline).
template <class T>
std::string to_yaml(const T& config) {
  YAML::Emitter out;
  write_value(out, config);
  return std::string(out.c_str()) + "\n";
}

}  // namespace fct::config
