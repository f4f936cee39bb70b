#include "framework/config/registered_names.h"

#include "framework/core/error.h"

namespace fct::config {

RegisteredNames& RegisteredNames::add(const std::string& kind, std::vector<std::string> names) {
  names_[kind] = std::move(names);
  return *this;
}

const std::vector<std::string>& RegisteredNames::of(const std::string& kind) const {
  const auto found = names_.find(kind);
  if (found == names_.end())
    throw Error("config reader: no registered " + kind +
                " names were handed to it (the command must pass every registry's names)");
  return found->second;
}

std::vector<std::string> RegisteredNames::accepted(const Registered& check) const {
  std::vector<std::string> names = check.also;
  for (const auto& name : of(check.kind)) names.push_back(name);
  return names;
}

}  // namespace fct::config
