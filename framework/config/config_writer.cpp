// The scalar half of the config writer: numbers that read back exactly, strings that stay strings.
#include "framework/config/config_writer.h"

namespace fct::config {

void write_value(YAML::Emitter& out, bool value) {
  out << (value ? "true" : "false");
}

void write_value(YAML::Emitter& out, int64_t value) {
  out << std::to_string(value);
}

void write_value(YAML::Emitter& out, int value) {
  out << std::to_string(value);
}

void write_value(YAML::Emitter& out, double value) {
  out << format_number(value);
}

void write_value(YAML::Emitter& out, const std::string& value) {
  // Quote strings that a YAML reader would otherwise take for a number, a boolean or null, so the
  // resolved config means the same to any YAML tool.
  const bool ambiguous = value.empty() || value == "~" || value == "null" || value == "Null" ||
                         value == "NULL" || parse_bool(value) || parse_integer(value) ||
                         parse_number(value) || value == "yes" || value == "no" || value == "on" ||
                         value == "off";
  if (ambiguous) out << YAML::DoubleQuoted;
  out << value;
}

}  // namespace fct::config
