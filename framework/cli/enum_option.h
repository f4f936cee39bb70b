// Command-line options whose values are a config enum (config/choices.h): the same names as in
// YAML, and an unknown one is rejected by CLI11 with the list of choices.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "framework/config/enum_names.h"

namespace fct::cli {

template <class E>
CLI::Option* add_enum_option(CLI::App& command, const std::string& flags, E& value,
                             const std::string& description) {
  std::map<std::string, E> by_name;
  for (const auto& entry : enum_names(E{})) by_name.emplace(std::string(entry.name), entry.value);
  return command.add_option(flags, value, description)->transform(CLI::CheckedTransformer(by_name));
}

}  // namespace fct::cli
