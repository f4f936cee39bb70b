#include "tests/fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fct::fuzz {

ScratchDirectory::ScratchDirectory(const std::string& prefix) {
  const std::string base = std::filesystem::is_directory("/dev/shm")
                               ? "/dev/shm"
                               : std::filesystem::temp_directory_path().string();
  std::string pattern = base + "/" + prefix + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror(("fuzz: cannot make a scratch directory " + pattern).c_str());
    std::abort();
  }
  path_ = pattern;
}

ScratchDirectory::~ScratchDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDirectory::write(const std::string& name, const void* data,
                                    std::size_t size) const {
  const std::filesystem::path file = std::filesystem::path(path_) / name;
  std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", file.c_str());
    std::abort();
  }
  return file.string();
}

void ScratchDirectory::clear() const {
  for (const auto& entry : std::filesystem::directory_iterator(path_))
    std::filesystem::remove_all(entry.path());
}

uint8_t InputBytes::byte() {
  if (used_ >= size_) return 0;
  return data_[used_++];
}

int64_t InputBytes::integer(int64_t low, int64_t high) {
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  uint64_t value = 0;
  for (uint64_t covered = 0; covered < range; covered = (covered << 8) | 0xff)
    value = (value << 8) | byte();
  return range == UINT64_MAX ? static_cast<int64_t>(value)
                             : low + static_cast<int64_t>(value % (range + 1));
}

std::vector<TreeFile> parse_tree(std::string_view text, std::size_t max_files) {
  constexpr std::string_view kMark = "=== ";
  std::vector<TreeFile> files;
  std::size_t at = text.substr(0, kMark.size()) == kMark ? 0 : text.find("\n=== ");
  while (at != std::string_view::npos && files.size() < max_files) {
    const std::size_t name_begin = at + (text[at] == '\n' ? 1 : 0) + kMark.size();
    const std::size_t name_end = std::min(text.find('\n', name_begin), text.size());
    const std::size_t next = text.find("\n=== ", name_end);
    const std::size_t content_begin = std::min(name_end + 1, text.size());
    const std::size_t content_end = next == std::string_view::npos ? text.size() : next;
    std::string path(text.substr(name_begin, name_end - name_begin));
    const bool safe = !path.empty() && path.front() != '/' &&
                      path.find("..") == std::string::npos &&
                      path.find('\0') == std::string::npos && path.back() != '/';
    if (safe)
      files.push_back(
          {path, std::string(text.substr(content_begin,
                                         std::max(content_begin, content_end) - content_begin))});
    at = next;
  }
  return files;
}

std::string format_tree(const std::vector<TreeFile>& files) {
  std::string text;
  for (const auto& file : files) {
    if (!text.empty()) text += "\n";
    text += "=== " + file.path + "\n" + file.content;
  }
  return text;
}

void write_tree(const std::vector<TreeFile>& files, const ScratchDirectory& directory) {
  for (const auto& file : files) {
    std::error_code error;
    // A path that is already a directory (or runs through a file) is skipped, as a tree cannot
    // hold both.
    const auto target = std::filesystem::path(directory.path()) / file.path;
    if (std::filesystem::is_directory(target, error)) continue;
    std::filesystem::create_directories(target.parent_path(), error);
    if (error) continue;
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out.write(file.content.data(), static_cast<std::streamsize>(file.content.size()));
  }
}

void require_named(const Error& error, const std::string& name) {
  const std::string message = error.what();
  if (message.find(name) != std::string::npos) return;
  std::fprintf(stderr, "fuzz: an error that does not name %s:\n%s\n", name.c_str(),
               message.c_str());
  std::abort();
}

std::vector<std::string> split_sections(const std::string& text, const std::string& separator) {
  std::vector<std::string> sections;
  const std::string mark = "\n" + separator + "\n";
  std::size_t begin = 0;
  for (std::size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, begin)) {
    sections.push_back(text.substr(begin, at - begin));
    begin = at + mark.size();
  }
  sections.push_back(text.substr(begin));
  return sections;
}

}  // namespace fct::fuzz
