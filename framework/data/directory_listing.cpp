#include "framework/data/directory_listing.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "framework/core/error.h"
#include "framework/data/image_decoder.h"

namespace fct::data {
namespace fs = std::filesystem;

std::string absolute_directory(const std::string& root) {
  fs::path path = fs::absolute(fs::path(root)).lexically_normal();
  if (!path.has_filename() && path.has_parent_path() && path != path.root_path())
    path = path.parent_path();  // "/data/imagenet/" -> "/data/imagenet"
  return path.string();
}

std::string join_path(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a.back() == '/' ? a + b : a + "/" + b;
}

bool is_image_name(std::string_view name) {
  return format_of_name(name) != ImageFormat::kUnknown;
}

int64_t file_bytes(const std::string& path) {
  std::error_code error;  // file_size fails for a directory: one stat answers both questions
  const auto size = fs::file_size(path, error);
  return error ? -1 : static_cast<int64_t>(size);
}

bool is_directory(const std::string& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

bool is_file(const std::string& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

void require_directory(const std::string& path, const std::string& what) {
  if (!is_directory(path)) throw DataError(what + " " + path + " not found (no such directory)");
}

void require_file(const std::string& path, const std::string& what) {
  if (!is_file(path)) throw DataError(what + " " + path + " not found (no such file)");
}

std::vector<DirectoryEntry> list_directory(const std::string& directory, IndexSources& sources) {
  std::vector<DirectoryEntry> entries;
  std::error_code error;
  fs::directory_iterator it(directory, error), end;
  if (error) throw DataError("cannot list directory " + directory + ": " + error.message());
  for (; it != end; it.increment(error)) {
    // is_directory() uses the type readdir reported; it stats only symbolic links.
    std::error_code type_error;
    entries.push_back({it->path().filename().string(), it->is_directory(type_error)});
  }
  if (error) throw DataError("cannot list directory " + directory + ": " + error.message());
  std::sort(entries.begin(), entries.end(),
            [](const DirectoryEntry& a, const DirectoryEntry& b) { return a.name < b.name; });
  sources.directories.push_back(directory);
  return entries;
}

std::vector<std::string> list_subdirectories(const std::string& directory, IndexSources& sources) {
  std::vector<std::string> names;
  for (const auto& entry : list_directory(directory, sources))
    if (entry.is_directory) names.push_back(entry.name);
  return names;
}

namespace {

void collect_images(const std::string& directory, const std::string& prefix, bool recursive,
                    IndexSources& sources, std::vector<ImageFile>& out) {
  for (const auto& entry : list_directory(directory, sources)) {
    const std::string path = join_path(directory, entry.name);
    if (entry.is_directory) {
      if (recursive) collect_images(path, join_path(prefix, entry.name), true, sources, out);
    } else if (is_image_name(entry.name)) {
      const int64_t bytes = file_bytes(path);
      if (bytes >= 0) out.push_back({join_path(prefix, entry.name), bytes});
    }
  }
}

}  // namespace

std::vector<ImageFile> list_image_files(const std::string& directory, bool recursive,
                                        IndexSources& sources, const std::string& prefix) {
  std::vector<ImageFile> files;
  collect_images(directory, prefix, recursive, sources, files);
  // Listing order is per directory; "a.b/x" < "a/x" in path order, so sort the whole.
  std::sort(files.begin(), files.end(),
            [](const ImageFile& a, const ImageFile& b) { return a.path < b.path; });
  return files;
}

void read_lines(const std::string& path, IndexSources& sources,
                const std::function<void(int64_t, std::string_view)>& on_line) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot read " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  sources.files.push_back(path);
  int64_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(++number, line);
    start = end + 1;
  }
}

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

std::pair<std::string_view, std::string_view> split_last_field(std::string_view line) {
  line = trim(line);
  const std::size_t space = line.find_last_of(" \t");
  if (space == std::string_view::npos) return {line, {}};
  return {trim(line.substr(0, space)), line.substr(space + 1)};
}

std::optional<int64_t> parse_integer(std::string_view text) {
  text = trim(text);
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string line_error(const std::string& path, int64_t line, const std::string& message) {
  return path + ":" + std::to_string(line) + ": " + message;
}

void ProblemLog::add(const std::string& kind, std::string message) {
  if (++counts_[kind] <= limit_) listed_.push_back(std::move(message));
}

std::vector<std::string> ProblemLog::take() {
  std::vector<std::string> result = std::move(listed_);
  for (const auto& [kind, count] : counts_)
    if (count > limit_)
      result.push_back("... and " + std::to_string(count - limit_) + " more: " + kind);
  listed_.clear();
  counts_.clear();
  return result;
}

}  // namespace fct::data
