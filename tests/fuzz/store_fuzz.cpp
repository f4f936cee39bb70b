// Store files: HDF5 written by fct (or damaged on the way), read as `fct eval` and `backfill`
// read them (Note [Fuzz targets]).
#include "framework/store/store_reader.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/fuzz/fuzz_targets.h"

namespace fct::fuzz {

int fuzz_store(const uint8_t* data, std::size_t size) {
  static const ScratchDirectory scratch("fct-fuzz-store");
  const std::string path = scratch.write("gallery.h5", data, size);
  try {
    const store::StoreReader reader(path);
    reader.attributes();
    reader.read_all();
    for (const auto& column : reader.column_names())
      reader.read_column(column, 0, std::min<int64_t>(reader.rows(), 2));
  } catch (const Error& e) {
    require_named(e, path);
  }
  return 0;
}

}  // namespace fct::fuzz
