#include "framework/data/dataset.h"

#include "framework/core/error.h"

namespace fct::data {

EncodedImage Dataset::read_encoded(int64_t /*index*/) const {
  throw Error(name() + ": samples are decoded images, not files (read_encoded)");
}

}  // namespace fct::data
