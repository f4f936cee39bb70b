// The registries' names as fct's commands hand them to the config reader, for tests that load
// studies, grids and experiments (link fct_study).
#pragma once

#include "framework/study/registered_names.h"

namespace fct::testing {

inline const config::RegisteredNames& study_names() {
  static const config::RegisteredNames names = study::registered_names();
  return names;
}

}  // namespace fct::testing
