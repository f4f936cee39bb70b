// The kinds of a study's graph nodes that code asks about: the trainings (each also a `--part` of
// `fct run` and a job of `fct submit`), a run's results table, and the part that is every node
// but the trainings. A kind names its folder of the run cache (stages/<kind>/).
#pragma once

#include <string>
#include <vector>

namespace fct::study {

constexpr char kTableKind[] = "table";
constexpr char kCompatibilityPart[] = "compatibility";

// old, side_info, new, bct.
const std::vector<std::string>& training_kinds();
bool is_training_kind(const std::string& kind);

}  // namespace fct::study
