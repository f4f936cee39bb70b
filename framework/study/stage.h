// Stages of a study and their skipping. A stage's record (<name>.stage.json) holds the key of what
// produced its outputs — the stage's config as config::result_key gives it (without the settings
// that only change how it runs) plus the hashes of the models it reads — and
// whether it finished. A stage whose record says "done" with the same key and whose outputs all
// exist is skipped; one that "started" with the same key resumes (a training continues from its
// checkpoint); any other state starts over, removing stale outputs first. So an interrupted
// study, run again, does only what is left, and a changed config redoes exactly the stages it
// affects.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "framework/core/provenance.h"
#include "framework/dist/communicator.h"

namespace fct::study {

struct StageSpec {
  std::string name;                  // "old", "store old", ...
  std::string record_path;           // the stage record
  std::string key_text;              // hashed into the key
  std::vector<std::string> outputs;  // files the stage leaves
  std::vector<std::string> partial;  // files kept to resume with the same key (checkpoints)
};

class StageRunner {
 public:
  StageRunner(dist::Communicator& comm, int total_stages);

  // Collective. Runs body(resume) unless the stage is done; returns true when it ran.
  bool run(const StageSpec& stage, const std::function<void(bool resume)>& body);

  // A step that is not a StageRunner call (an evaluation) still gets its "stage i/n" line.
  void announce(const std::string& what);

  double seconds_spent() const { return seconds_; }

 private:
  dist::Communicator& comm_;
  int total_;
  int index_ = 0;
  double seconds_ = 0.0;
};

}  // namespace fct::study
