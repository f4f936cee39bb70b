// Names that grow by registration — datasets, models, losses, optimisers, backfill orders,
// communicators — are owned by their registries, which live above config/. A config declares
// such a field with `registered("optimizer")` instead of a list of names, and whoever loads the
// config hands in the registries' names (study/registered_names.h gathers them all), so a typo is
// a config error at file:line with a suggestion, before any work starts, and adding an optimiser
// or an order is one registration.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace fct::config {

// The check a visit() method passes for a registry name: its kind ("optimizer", "backfill order")
// and values accepted besides the registered names (a sentinel such as "auto").
struct Registered {
  std::string kind;
  std::vector<std::string> also;
};

inline Registered registered(std::string kind, std::vector<std::string> also = {}) {
  return Registered{std::move(kind), std::move(also)};
}

// Kind -> accepted names.
class RegisteredNames {
 public:
  RegisteredNames& add(const std::string& kind, std::vector<std::string> names);
  bool has(const std::string& kind) const { return names_.count(kind) != 0; }
  // Throws fct::Error for a kind nobody added: a program error, not a config one.
  const std::vector<std::string>& of(const std::string& kind) const;
  // The names of `check.kind` and `check.also`.
  std::vector<std::string> accepted(const Registered& check) const;

 private:
  std::map<std::string, std::vector<std::string>> names_;
};

}  // namespace fct::config
