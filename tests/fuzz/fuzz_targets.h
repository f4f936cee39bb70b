// The fuzz targets (Note [Fuzz targets] in fuzz_support.h): one function each over an input's
// bytes, returning 0. bench/fuzz.sh --list names them; tests/fuzz/corpus/<name>/ holds the seeds
// and tests/fuzz/regression/<name>/ the inputs that once found something.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fct::fuzz {

int fuzz_config(const uint8_t* data, std::size_t size);       // study/experiment YAML + overrides
int fuzz_sweep(const uint8_t* data, std::size_t size);        // sweep grammar and grid files
int fuzz_idx(const uint8_t* data, std::size_t size);          // IDX files (gzipped or not)
int fuzz_jpeg(const uint8_t* data, std::size_t size);         // whole-image JPEG decoding
int fuzz_png(const uint8_t* data, std::size_t size);          // PNG decoding
int fuzz_jpeg_region(const uint8_t* data, std::size_t size);  // crop-only JPEG decoding
int fuzz_imagenet_lists(const uint8_t* data, std::size_t size);
int fuzz_places365_lists(const uint8_t* data, std::size_t size);
int fuzz_vggface2_lists(const uint8_t* data, std::size_t size);
int fuzz_store(const uint8_t* data, std::size_t size);         // HDF5 store files
int fuzz_model_file(const uint8_t* data, std::size_t size);    // fct model files and checkpoints
int fuzz_state_dict(const uint8_t* data, std::size_t size);    // PyTorch state-dict files
int fuzz_slurm_output(const uint8_t* data, std::size_t size);  // sbatch and squeue output

using Target = int (*)(const uint8_t* data, std::size_t size);
struct NamedTarget {
  std::string name;
  Target run;
};

}  // namespace fct::fuzz
