// What the fuzz targets share: a scratch directory for parsers that read files, parameters taken
// from the front of an input, a small file tree packed into one input, and the rule every target
// checks: bad input ends in an fct::Error that names the file, nothing else (Note [Fuzz targets]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"

namespace fct::fuzz {

// Note [Fuzz targets]
// A target is a function over bytes (fuzz_targets.h). libFuzzer calls it millions of times in one
// process (bench/fuzz.sh, a clang build); the suite replays the seed corpus and every input that
// once found something through the same function (fct_fuzz_replay, the ordinary build, CTest label
// `fuzz`). A finding is anything but a clean return: a crash or sanitizer report, an exception that
// is not an fct::Error (a bare std::out_of_range tells the user nothing), or an fct::Error whose
// message does not name the file it is about (require_named aborts then, so the fuzzer keeps it).

// A directory of this process's own (under /dev/shm when it exists: inputs are written there once
// per run), emptied by clear() and removed with the object.
class ScratchDirectory {
 public:
  explicit ScratchDirectory(const std::string& prefix);
  ~ScratchDirectory();
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  const std::string& path() const { return path_; }
  // `path()/name`, holding `size` bytes of `data` (directories on the way are made).
  std::string write(const std::string& name, const void* data, std::size_t size) const;
  void clear() const;  // removes everything inside

 private:
  std::string path_;
};

// Parameters read from the front of an input; what is left is the file's bytes. Reading past the
// end gives zeros, so every input is valid.
class InputBytes {
 public:
  InputBytes(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  uint8_t byte();
  // A value in [low, high] from the next bytes (as many as the range needs).
  int64_t integer(int64_t low, int64_t high);
  const uint8_t* rest() const { return data_ + used_; }
  std::size_t rest_size() const { return size_ - used_; }
  std::string rest_text() const {
    return std::string(reinterpret_cast<const char*>(rest()), rest_size());
  }

 private:
  const uint8_t* data_;
  std::size_t size_;
  std::size_t used_ = 0;
};

// A file tree in one input: each file starts with a line "=== <relative path>" and holds the lines
// up to the next such line (a newline before it belongs to the separator). Paths that are absolute
// or hold ".." are skipped; at most `max_files` files are kept.
struct TreeFile {
  std::string path;
  std::string content;
};
std::vector<TreeFile> parse_tree(std::string_view text, std::size_t max_files = 64);
std::string format_tree(const std::vector<TreeFile>& files);  // the inverse (seed corpora)
void write_tree(const std::vector<TreeFile>& files, const ScratchDirectory& directory);

// Aborts, printing both, unless `error`'s message holds `name` (a file's path, usually).
void require_named(const Error& error, const std::string& name);

// Splits `text` at `separator` lines ("\n<separator>\n"): a config, then its overrides, say.
std::vector<std::string> split_sections(const std::string& text, const std::string& separator);

}  // namespace fct::fuzz
