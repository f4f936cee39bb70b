// The input report of a run: unreadable files skipped and truncated files used by the loaders of
// every rank, summed over ranks, for the run's summary.json and its last log line.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "framework/data/dataset.h"
#include "framework/distributed/communicator.h"

namespace fct::train {

// Collective. {"<label>": {"skipped_files", "skipped_reads", "truncated_files",
// "truncated_reads"}} for each (label, dataset) whose dataset has an input log; rank 0 logs a line
// per dataset that met bad files. Counts of distinct files are summed over ranks (a file is read by
// one rank per epoch, but by different ranks in different epochs, so they can overcount).
nlohmann::json input_report(const std::vector<std::pair<std::string, const data::Dataset*>>& sets,
                            distributed::Communicator& comm);

}  // namespace fct::train
