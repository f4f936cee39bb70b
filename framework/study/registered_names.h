// Every registry's names, for the config reader (config/registered_names.h): config/ sits below
// the registries, so the commands that load a study, a grid or an experiment hand these in.
#pragma once

#include "framework/config/registered_names.h"

namespace fct::study {

// dataset, model, loss, optimizer, backfill order, communicator.
config::RegisteredNames registered_names();

}  // namespace fct::study
