// fct_fuzz_replay <target> <file or directory>...: runs every input through a fuzz target, as
// libFuzzer would, in the ordinary build (Note [Fuzz targets]). The suite runs it over each
// target's seed corpus and regression inputs; a finding aborts (require_named, a sanitizer) or
// escapes as an exception that is not fct::Error, which ends this program with a non-zero status
// naming the input.
#include <torch/torch.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "tests/fuzz/fuzz_targets.h"

namespace {

const std::vector<fct::fuzz::NamedTarget>& targets() {
  using namespace fct::fuzz;
  static const std::vector<NamedTarget> all = {
      {"config", fuzz_config},
      {"sweep", fuzz_sweep},
      {"idx", fuzz_idx},
      {"jpeg", fuzz_jpeg},
      {"png", fuzz_png},
      {"jpeg_region", fuzz_jpeg_region},
      {"imagenet_lists", fuzz_imagenet_lists},
      {"places365_lists", fuzz_places365_lists},
      {"vggface2_lists", fuzz_vggface2_lists},
      {"store", fuzz_store},
      {"model_file", fuzz_model_file},
      {"state_dict", fuzz_state_dict},
      {"slurm_output", fuzz_slurm_output},
  };
  return all;
}

std::vector<std::filesystem::path> inputs_under(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path))
      if (entry.is_regular_file()) files.push_back(entry.path());
  } else if (std::filesystem::is_regular_file(path)) {
    files.push_back(path);
  } else {
    throw std::runtime_error(path.string() + ": no such file or directory");
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "--list") {
    for (const auto& target : targets()) std::cout << target.name << "\n";
    return 0;
  }
  if (argc < 3) {
    std::cerr << "usage: fct_fuzz_replay <target> <file or directory>...\n"
                 "       fct_fuzz_replay --list\n";
    return 2;
  }
  const auto found = std::find_if(targets().begin(), targets().end(),
                                  [&](const auto& target) { return target.name == argv[1]; });
  if (found == targets().end()) {
    std::cerr << "fct_fuzz_replay: no target '" << argv[1] << "' (--list names them)\n";
    return 2;
  }
  torch::set_num_threads(1);
  std::size_t count = 0;
  std::string current;
  try {
    for (int i = 2; i < argc; ++i) {
      for (const auto& file : inputs_under(argv[i])) {
        current = file.string();
        std::ifstream in(file, std::ios::binary);
        const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                         std::istreambuf_iterator<char>());
        found->run(bytes.data(), bytes.size());
        ++count;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "fct_fuzz_replay " << found->name << ": " << current
              << ": an exception that is not fct::Error: " << e.what() << "\n";
    return 1;
  }
  if (count == 0) {
    std::cerr << "fct_fuzz_replay " << found->name << ": no inputs found\n";
    return 1;
  }
  std::cout << found->name << ": " << count << " inputs, no findings\n";
  return 0;
}
