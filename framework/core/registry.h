// Registry: implementations of one seam (dataset, model, loss, communicator, ...) looked up by the
// name that YAML uses. Each seam builds its registry once, from an explicit list, so a reader sees
// every implementation in one place and nothing depends on static-initialisation order.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "framework/core/error.h"
#include "framework/core/suggest.h"

namespace fct {

template <class Factory>
class Registry {
 public:
  Registry(std::string kind, std::vector<std::pair<std::string, Factory>> entries)
      : kind_(std::move(kind)), entries_(std::move(entries)) {
    for (std::size_t i = 0; i < entries_.size(); ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (entries_[i].first == entries_[j].first)
          throw Error(kind_ + " '" + entries_[i].first + "' is registered twice");
  }

  bool contains(const std::string& name) const {
    for (const auto& entry : entries_)
      if (entry.first == name) return true;
    return false;
  }

  const Factory& get(const std::string& name) const {
    for (const auto& entry : entries_)
      if (entry.first == name) return entry.second;
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown " + kind_ + " '" + name + "'" + did_you_mean(name, names()) +
                "; known: " + known);
  }

  std::vector<std::string> names() const {
    std::vector<std::string> result;
    result.reserve(entries_.size());
    for (const auto& entry : entries_) result.push_back(entry.first);
    return result;
  }

  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  std::vector<std::pair<std::string, Factory>> entries_;
};

}  // namespace fct
