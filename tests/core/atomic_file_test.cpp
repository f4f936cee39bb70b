#include "framework/core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>

#include "framework/core/suggest.h"
#include "tests/test_support.h"

namespace fct {
namespace {

TEST(WriteAtomically, RenamesOnSuccess) {
  testing::ScratchDir dir;
  const std::string path = dir.file("sub/out.txt");
  write_text_atomically(path, "hello");
  EXPECT_EQ(testing::read_text_file(path), "hello");
  EXPECT_FALSE(std::filesystem::exists(temporary_path_for(path)));
}

TEST(WriteAtomically, FailureLeavesThePreviousVersionAndNoTemporary) {
  testing::ScratchDir dir;
  const std::string path = dir.file("out.txt");
  write_text_atomically(path, "old");
  EXPECT_THROW(write_atomically(path,
                                [](const std::string& temporary) {
                                  testing::write_text_file(temporary, "half");
                                  throw std::runtime_error("disk full");
                                }),
               std::runtime_error);
  EXPECT_EQ(testing::read_text_file(path), "old");
  EXPECT_FALSE(std::filesystem::exists(temporary_path_for(path)));
}

TEST(WriteAtomically, FailureOnANewFileLeavesNothing) {
  testing::ScratchDir dir;
  const std::string path = dir.file("new.txt");
  EXPECT_THROW(write_atomically(path, [](const std::string&) { throw std::runtime_error("x"); }),
               std::runtime_error);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Suggest, ClosestMatchFindsTyposOnly) {
  EXPECT_EQ(closest_match("lrr", {"lr", "momentum"}), "lr");
  EXPECT_EQ(closest_match("epochz", {"epochs", "seed"}), "epochs");
  EXPECT_EQ(closest_match("banana", {"lr", "momentum"}), "");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace fct
