// What sbatch and squeue print (Note [Fuzz targets]): a SLURM of another version or a wrapper
// script may print anything.
#include <map>

#include "framework/submit/slurm_output.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fct::fuzz {

// Input: sbatch's exit code (a byte), squeue's exit code (a byte), then sbatch's output, a line
// "--- squeue", and squeue's output.
int fuzz_slurm_output(const uint8_t* data, std::size_t size) {
  InputBytes input(data, size);
  const int sbatch_exit = input.byte() % 4;
  const int squeue_exit = input.byte() % 4;
  const auto sections = split_sections(input.rest_text(), "--- squeue");
  try {
    const std::string id = submit::parse_sbatch_output(sbatch_exit, sections[0], "sbatch job.sh");
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) std::abort();
  } catch (const Error& e) {
    require_named(e, "sbatch job.sh");
  }
  try {
    std::map<std::string, submit::QueueState> states;
    submit::parse_squeue_output("42", squeue_exit, sections.size() > 1 ? sections[1] : "", states);
    if (states.size() > 1 || (states.size() == 1 && states.count("42") == 0)) std::abort();
  } catch (const Error& e) {
    require_named(e, "job 42");
  }
  return 0;
}

}  // namespace fct::fuzz
