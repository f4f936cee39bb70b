// The zip check that stands before LibTorch's reader (Note [Damaged archives]): archives LibTorch
// and Python write pass; a flipped byte anywhere in a record, a cut file and broken offsets are
// refused naming the file and the record.
#include "framework/core/zip_integrity.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "framework/core/error.h"
#include "framework/core/subprocess.h"
#include "tests/test_support.h"

namespace fct {
namespace {

// The message of the error verify_zip_file throws, or "" when it accepts the file.
std::string refusal(const std::string& path) {
  try {
    verify_zip_file(path, "model file");
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

// A LibTorch archive as model files and checkpoints are written, with a tensor of known bytes.
std::string write_archive(const testing::ScratchDir& dir) {
  torch::serialize::OutputArchive archive;
  archive.write("weights", torch::arange(1000, torch::kFloat32));
  archive.write("note", c10::IValue(std::string("fct model header")));
  const std::string path = dir.file("model.pt");
  archive.save_to(path);
  return path;
}

TEST(ZipIntegrity, AcceptsWhatLibTorchWrites) {
  testing::ScratchDir dir;
  const auto path = write_archive(dir);
  EXPECT_EQ(refusal(path), "");
  EXPECT_NO_THROW(verify_zip_bytes(testing::read_text_file(path), "in memory"));
}

TEST(ZipIntegrity, AFlippedByteInATensorIsRefusedNamingFileAndRecord) {
  testing::ScratchDir dir;
  const auto path = write_archive(dir);
  std::string bytes = testing::read_text_file(path);
  // float 500.0f = 0x43fa0000, little-endian: find it and change its lowest mantissa byte's bit.
  const std::string five_hundred("\x00\x00\xfa\x43", 4);
  const auto at = bytes.find(five_hundred);
  ASSERT_NE(at, std::string::npos);
  bytes[at] ^= 0x01;
  testing::write_text_file(path, bytes);
  const auto message = refusal(path);
  EXPECT_NE(message.find("model file " + path + ": a damaged zip archive"), std::string::npos)
      << message;
  EXPECT_NE(message.find("data/"), std::string::npos) << message;  // the tensor's record
  EXPECT_NE(message.find("fails its CRC-32 check"), std::string::npos) << message;
  // LibTorch alone would have loaded the changed weight.
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  torch::Tensor weights;
  archive.read("weights", weights);
  EXPECT_NE(weights[500].item<float>(), 500.0f);
}

TEST(ZipIntegrity, EveryFlippedByteOfTheFileIsRefusedOrHarmless) {
  // Every single-byte change of a small archive: refused, or in a part no reader uses (padding,
  // times, the local copies of names); never accepted with changed record contents.
  testing::ScratchDir dir;
  torch::serialize::OutputArchive archive;
  archive.write("w", torch::arange(8, torch::kFloat32));
  const std::string path = dir.file("small.pt");
  archive.save_to(path);
  const std::string original = testing::read_text_file(path);
  int refused = 0;
  for (std::size_t i = 0; i < original.size(); ++i) {
    std::string bytes = original;
    bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
    try {
      verify_zip_bytes(bytes, "flipped");
    } catch (const DataError& e) {
      ++refused;
      EXPECT_NE(std::string(e.what()).find("flipped"), std::string::npos) << e.what();
      continue;
    }
    // Accepted: LibTorch must read the same tensor from it.
    std::istringstream stream(bytes);
    torch::serialize::InputArchive in;
    torch::Tensor w;
    try {
      in.load_from(stream);
      in.read("w", w);
    } catch (const std::exception&) {
      continue;  // refused by LibTorch instead, with its message: also no silent damage
    }
    EXPECT_TRUE(w.equal(torch::arange(8, torch::kFloat32))) << "byte " << i;
  }
  EXPECT_GT(refused, 0);
}

TEST(ZipIntegrity, ACutFileAnEmptyFileAndAForeignFileAreRefused) {
  testing::ScratchDir dir;
  const auto path = write_archive(dir);
  const std::string bytes = testing::read_text_file(path);
  testing::write_text_file(path, bytes.substr(0, bytes.size() / 2));
  EXPECT_NE(refusal(path).find("not a zip archive, or one cut short"), std::string::npos)
      << refusal(path);
  testing::write_text_file(path, "");
  EXPECT_NE(refusal(path).find("model file " + path + ": not a zip archive (0 bytes)"),
            std::string::npos)
      << refusal(path);
  testing::write_text_file(path, std::string(4096, 'x'));
  EXPECT_NE(refusal(path).find("not a zip archive"), std::string::npos) << refusal(path);
  EXPECT_NE(refusal(dir.file("missing.pt"))
                .find("model file " + dir.file("missing.pt") + " cannot be opened"),
            std::string::npos);
}

TEST(ZipIntegrity, ACentralDirectoryOutsideTheFileIsRefused) {
  testing::ScratchDir dir;
  const auto path = write_archive(dir);
  std::string bytes = testing::read_text_file(path);
  const auto end = bytes.rfind(std::string("PK\x05\x06", 4));
  ASSERT_NE(end, std::string::npos);
  if (static_cast<unsigned char>(bytes[end + 16]) == 0xff) GTEST_SKIP() << "a zip64 archive";
  bytes[end + 19] = '\x7f';  // the directory's offset, high byte
  testing::write_text_file(path, bytes);
  EXPECT_NE(refusal(path).find("the central directory lies outside the file"), std::string::npos)
      << refusal(path);
}

TEST(ZipIntegrity, DeflatedAndZip64ArchivesFromPython) {
  const std::string python = "/usr/bin/python3";
  if (access(python.c_str(), X_OK) != 0) GTEST_SKIP() << python << " is not installed";
  testing::ScratchDir dir;
  const std::string path = dir.file("python.zip");
  const std::string script =
      "import sys, zipfile\n"
      "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
      "    z.writestr('stored', b'abc' * 1000, compress_type=zipfile.ZIP_STORED)\n"
      "    z.writestr('deflated', b'xyz' * 5000, compress_type=zipfile.ZIP_DEFLATED)\n"
      "    with z.open('zip64', 'w', force_zip64=True) as f:\n"
      "        f.write(b'0123456789' * 100)\n";
  const auto result = run_command({python, "-c", script, path}, 60);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(refusal(path), "");
  // A flipped byte inside the deflated stream.
  std::string bytes = testing::read_text_file(path);
  const auto deflated = bytes.find("deflated");
  ASSERT_NE(deflated, std::string::npos);
  bytes[deflated + 8 + 6] ^= 0x10;  // past the name, inside the data
  testing::write_text_file(path, bytes);
  const auto message = refusal(path);
  EXPECT_NE(message.find("record 'deflated'"), std::string::npos) << message;
}

}  // namespace
}  // namespace fct
