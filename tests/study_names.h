// The registries' names as fct's commands hand them to the config reader, for tests that load
// studies, grids and experiments (link fct_study).
#pragma once

#include <string>
#include <vector>

#include "framework/study/registered_names.h"

namespace fct::testing {

inline const config::RegisteredNames& study_names() {
  static const config::RegisteredNames names = study::registered_names();
  return names;
}

// "auto, mpi, nccl": what an error message lists for a registry kind (after `also`), so that a
// test of the message does not change when a registry gains a name.
inline std::string listed_names(const std::string& kind, std::vector<std::string> also = {}) {
  std::string text;
  for (const auto& name : study_names().accepted(config::Registered{kind, std::move(also)}))
    text += (text.empty() ? "" : ", ") + name;
  return text;
}

}  // namespace fct::testing
