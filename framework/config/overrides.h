// Command-line overrides in Hydra's grammar, applied to the YAML tree before it is read:
//   a.b=value    set a key the schema declares (whether or not the file has it)
//   +a.b=value   add a key the file does not have
//   ++a.b=value  add or set
//   ~a.b         remove a key from the file (back to its default); ~a.b=value only if it matches
// Values are YAML (`[0, 1]`, `1e-3`, `'quoted'`); `a.b=` is the empty string.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "framework/config/config_reader.h"
#include "framework/config/config_schema.h"

namespace fct::config {

struct Override {
  enum class Op { kSet, kAdd, kAddOrSet, kRemove };

  Op op = Op::kSet;
  std::string text;               // as given on the command line, for messages
  std::string key;                // dotted key path
  std::vector<std::string> path;  // key split at the dots
  bool has_value = false;         // false only for `~key`
  YAML::Node value;
};

// Parses one override; a malformed one is a ConfigError naming it.
Override parse_override(const std::string& text);

// Applies overrides in order to `root` (the file's tree; null for an empty file), checking key
// paths against `schema` and recording in `source` which subtrees they replaced.
void apply_override(YAML::Node& root, const Override& override, const SchemaNode& schema,
                    Source& source);
void apply_overrides(YAML::Node& root, const std::vector<std::string>& overrides,
                     const SchemaNode& schema, Source& source);

}  // namespace fct::config
