// CRC-32C against the test vectors of RFC 3720 (iSCSI), appendix B.4, and the masking of
// TFRecord framing.
#include "framework/tensorboard/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fct::tensorboard {
namespace {

TEST(Crc32c, MatchesTheRfc3720TestVectors) {
  const std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xFF);
  std::vector<uint8_t> ascending(32), descending(32);
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<uint8_t>(i);
    descending[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending.data(), ascending.size()), 0x46DD794Eu);
  EXPECT_EQ(crc32c(descending.data(), descending.size()), 0x113FDB5Cu);
}

TEST(Crc32c, OfTheCheckStringAndOfNothing) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32c(check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
}

TEST(Crc32c, TheMaskRotatesBy15AndAddsTheTfRecordConstant) {
  const std::string check = "123456789";
  const uint32_t crc = 0xE3069283u;
  EXPECT_EQ(masked_crc32c(check.data(), check.size()),
            static_cast<uint32_t>(((crc >> 15) | (crc << 17)) + 0xA282EAD8u));
}

}  // namespace
}  // namespace fct::tensorboard
