// CRC-32C (Castagnoli), the checksum of TensorBoard's record framing (the TFRecord format).
// Written here because Debian 12 packages no C or C++ CRC-32C library (only python3-crc32c);
// checked against RFC 3720's test vectors.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fct::tensorboard {

uint32_t crc32c(const void* data, std::size_t size);

// The checksum as records store it: rotated and offset, because a CRC over data that embeds
// CRCs is weak (TFRecord's own rule).
uint32_t masked_crc32c(const void* data, std::size_t size);

}  // namespace fct::tensorboard
