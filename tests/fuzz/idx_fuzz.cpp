// IDX files (Fashion-MNIST's format), plain or gzipped (Note [Fuzz targets]).
#include "framework/data/idx_file.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fct::fuzz {

// Input: the expected type and number of dimensions (a byte each), then the file.
int fuzz_idx(const uint8_t* data, std::size_t size) {
  static const ScratchDirectory scratch("fct-fuzz-idx");
  static const data::IdxType kTypes[] = {data::IdxType::kUInt8,   data::IdxType::kInt8,
                                         data::IdxType::kInt16,   data::IdxType::kInt32,
                                         data::IdxType::kFloat32, data::IdxType::kFloat64};
  InputBytes input(data, size);
  const auto type = kTypes[input.integer(0, 5)];
  const int dims = static_cast<int>(input.integer(1, 4));
  const bool gzipped = input.rest_size() >= 2 && input.rest()[0] == 0x1f && input.rest()[1] == 0x8b;
  const std::string path = scratch.write(gzipped ? "images-idx3-ubyte.gz" : "images-idx3-ubyte",
                                         input.rest(), input.rest_size());
  try {
    data::read_idx_file(path, type, dims);
  } catch (const Error& e) {
    require_named(e, path);
  }
  return 0;
}

}  // namespace fct::fuzz
