#include "framework/train/run_directory.h"

#include <filesystem>

#include "framework/core/atomic_file.h"

namespace fct::train {

std::string resolve_run_directory(const std::string& output_dir, const std::string& name) {
  return output_dir.empty() ? "runs/" + name : output_dir;
}

void write_run_record(const std::string& directory, const std::string& resolved_yaml,
                      const ProvenanceInputs& provenance) {
  std::filesystem::create_directories(directory);
  write_text_atomically(directory + "/config.yaml", resolved_yaml);
  write_text_atomically(directory + "/provenance.json", make_provenance(provenance).dump(2) + "\n");
}

}  // namespace fct::train
