// Directory and file helpers shared by the dataset layouts: sorted listings, image files found by
// name (an image's format is the decoder's business: ImageNet ships a PNG named .JPEG), sizes,
// '/'-joined relative paths, required files and folders, and the problem list of a scan.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/data/image_layout.h"

namespace fct::data {

// `root` made absolute and normal, without a trailing '/': an index's root must not depend on the
// working directory of the process that reads the cache.
std::string absolute_directory(const std::string& root);

// "a" + "b" -> "a/b"; an empty side yields the other.
std::string join_path(const std::string& a, const std::string& b);

// True when `name` ends in .jpeg, .jpg or .png, in any case.
bool is_image_name(std::string_view name);

// Size of the file at `path`, or -1 when it does not exist or is not a regular file.
int64_t file_bytes(const std::string& path);

bool is_directory(const std::string& path);
bool is_file(const std::string& path);

// Throw DataError "<what> <path> not found" when `path` is not a directory / regular file.
void require_directory(const std::string& path, const std::string& what);
void require_file(const std::string& path, const std::string& what);

struct DirectoryEntry {
  std::string name;
  bool is_directory = false;
};

// The entries of `directory` sorted by name (byte order); records it in `sources`. DataError naming
// it when it cannot be read.
std::vector<DirectoryEntry> list_directory(const std::string& directory, IndexSources& sources);

// The names of the subdirectories of `directory`, sorted.
std::vector<std::string> list_subdirectories(const std::string& directory, IndexSources& sources);

struct ImageFile {
  std::string path;  // relative to the directory listed, '/'-separated
  int64_t bytes = 0;
};

// The image files (is_image_name) in `directory` and, when `recursive`, in its subfolders, sorted
// by relative path; each relative path starts with `prefix` ("" or "n01440764"). One stat per
// image, for its size; every directory listed is recorded in `sources`.
std::vector<ImageFile> list_image_files(const std::string& directory, bool recursive,
                                        IndexSources& sources, const std::string& prefix = "");

// Calls `on_line(number, line)` for each line of the text file at `path` (1-based numbers, '\r\n'
// endings accepted) and records the file in `sources`; DataError naming it when it cannot be read.
void read_lines(const std::string& path, IndexSources& sources,
                const std::function<void(int64_t, std::string_view)>& on_line);

// `text` without leading and trailing blanks.
std::string_view trim(std::string_view text);

// "a path with spaces  12" -> {"a path with spaces", "12"}: the last blank-separated field and
// what precedes it, both trimmed; {line, ""} when there is one field.
std::pair<std::string_view, std::string_view> split_last_field(std::string_view line);

// The whole of `text` (trimmed) as a decimal integer, or nullopt.
std::optional<int64_t> parse_integer(std::string_view text);

// "path:line: message", the form of every label-file error.
std::string line_error(const std::string& path, int64_t line, const std::string& message);

// Problems found while scanning. Past `limit` of one kind they are counted, not listed: a
// half-extracted archive must not turn into a million-line report (and a million-string cache).
class ProblemLog {
 public:
  explicit ProblemLog(std::size_t limit_per_kind = 200) : limit_(limit_per_kind) {}
  // `kind` groups messages for the limit ("missing file", "unlisted image", ...).
  void add(const std::string& kind, std::string message);
  // The listed problems in the order added, then "... and N more <kind>" per kind over the limit.
  std::vector<std::string> take();

 private:
  std::size_t limit_;
  std::vector<std::string> listed_;
  std::map<std::string, std::size_t> counts_;
};

}  // namespace fct::data
