// The run directory: where a run's outputs live, next to the resolved config and its provenance
// (git revision, library versions, world size, command line).
#pragma once

#include <string>
#include <vector>

#include "framework/core/provenance.h"

namespace fct::train {

// output_dir as configured, or runs/<name> when empty.
std::string resolve_run_directory(const std::string& output_dir, const std::string& name);

// Creates `directory` and writes config.yaml (the resolved config) and provenance.json into it,
// atomically. Call on rank 0 only.
void write_run_record(const std::string& directory, const std::string& resolved_yaml,
                      const ProvenanceInputs& provenance);

}  // namespace fct::train
