#include "framework/core/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "framework/core/error.h"
#include "framework/core/suggest.h"
#include "tests/small_disk.h"
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

TEST(WriteAtomically, AFileTheWriterDidNotMakeIsAnError) {
  testing::ScratchDir dir;
  const std::string path = dir.file("never.txt");
  EXPECT_THROW(write_atomically(path, [](const std::string&) {}), Error);
  EXPECT_FALSE(std::filesystem::exists(path));
}

// A full disk mid-write: a small tmpfs (root only; skipped elsewhere) that the new text overflows.
TEST(WriteAtomicallyFault, AFullDiskIsAnErrorNamingTheFileAndKeepsThePreviousVersion) {
  testing::ScratchDir dir;
  const testing::SmallDisk disk(dir.file("small"), "64k");
  if (!disk.mounted()) GTEST_SKIP() << disk.why();
  const std::string mount_point = disk.path();

  const std::string path = mount_point + "/results.csv";
  write_text_atomically(path, "old");
  try {
    write_text_atomically(path, std::string(256 * 1024, 'x'));
    ADD_FAILURE() << "256 KiB fitted on a 64 KiB tmpfs";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(temporary_path_for(path)), std::string::npos) << message;
    EXPECT_NE(message.find("no space left"), std::string::npos) << message;
  }
  EXPECT_EQ(testing::read_text_file(path), "old");
  EXPECT_FALSE(std::filesystem::exists(temporary_path_for(path)));
}

TEST(Suggest, ClosestMatchFindsTyposOnly) {
  EXPECT_EQ(closest_match("lrr", {"lr", "momentum"}), "lr");
  EXPECT_EQ(closest_match("epochz", {"epochs", "seed"}), "epochs");
  EXPECT_EQ(closest_match("banana", {"lr", "momentum"}), "");
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

}  // namespace
}  // namespace fct
