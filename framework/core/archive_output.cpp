#include "framework/core/archive_output.h"

#include "framework/core/atomic_file.h"

namespace fct {

void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path) {
  stream_atomically(path, [&](const ByteSink& put) {
    // The writer is told every byte went: see stream_atomically for where a failure goes.
    archive.save_to([&](const void* data, std::size_t size) -> std::size_t {
      put(data, size);
      return size;
    });
  });
}

}  // namespace fct
