#include "framework/core/printable_text.h"

#include <gtest/gtest.h>

namespace fct {
namespace {

TEST(PrintableText, ControlBytesAreEscapedSoTheMessageIsNotCut) {
  EXPECT_EQ(printable_text(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable_text("\x1b[2Jred\x7f"), "\\x1b[2Jred\\x7f");
  EXPECT_EQ(printable_text("line one\n\tline two"), "line one\n\tline two");
  EXPECT_EQ(printable_text("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes
  EXPECT_EQ(printable_text(""), "");
}

}  // namespace
}  // namespace fct
