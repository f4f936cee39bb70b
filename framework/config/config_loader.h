// Loads any config struct with a visit() method the one way: YAML file -> command-line overrides ->
// typed, checked struct -> resolved YAML (every key, defaults included) and its hash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/config_reader.h"
#include "framework/config/config_schema.h"
#include "framework/config/config_writer.h"
#include "framework/config/overrides.h"
#include "framework/core/hash.h"

namespace fct::config {

template <class T>
struct LoadedConfig {
  T config;
  std::string resolved_yaml;           // to_yaml(config): saved with each run
  std::string source_path;             // the file as given
  std::vector<std::string> overrides;  // as given, in order
  uint64_t hash = 0;                   // fnv1a(resolved_yaml): equal configs, equal hashes
};

// For configs without `registered(...)` fields (a cluster profile). Reading such a field with it
// throws: a command that loads a study must hand in the registries' names.
inline const RegisteredNames& no_registered_names() {
  static const RegisteredNames none;
  return none;
}

// `root` is the parsed file (null when empty); `source_name` names it in messages; `names` are
// the registries' names that `registered(...)` fields accept (study/registered_names.h).
template <class T>
LoadedConfig<T> load_config_tree(YAML::Node root, const std::string& source_name,
                                 const std::vector<std::string>& overrides,
                                 const RegisteredNames& names = no_registered_names()) {
  Source source(source_name, names);
  apply_overrides(root, overrides, schema_of<T>(), source);
  LoadedConfig<T> loaded;
  loaded.config = read_config<T>(root, source);
  loaded.resolved_yaml = to_yaml(loaded.config);
  loaded.source_path = source_name;
  loaded.overrides = overrides;
  loaded.hash = fnv1a(loaded.resolved_yaml);
  return loaded;
}

// Throws ConfigError ("file:line:column: ..." or "command line override '...': ...").
template <class T>
LoadedConfig<T> load_config(const std::string& path, const std::vector<std::string>& overrides = {},
                            const RegisteredNames& names = no_registered_names()) {
  return load_config_tree<T>(load_yaml_file(path), path, overrides, names);
}

// The same from YAML text already in memory (tests, embedded configs).
template <class T>
LoadedConfig<T> parse_config(const std::string& yaml_text, const std::string& source_name,
                             const std::vector<std::string>& overrides = {},
                             const RegisteredNames& names = no_registered_names()) {
  return load_config_tree<T>(load_yaml_text(yaml_text, source_name), source_name, overrides, names);
}

}  // namespace fct::config
