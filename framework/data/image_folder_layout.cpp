#include "framework/data/image_folder_layout.h"

#include <algorithm>
#include <set>

#include "framework/core/error.h"
#include "framework/core/suggest.h"
#include "framework/data/directory_listing.h"

namespace fct::data {
namespace {

// A split names one folder or file directly under the root.
void check_split_name(const std::string& layout, const std::string& split) {
  if (split.empty() || split == "." || split == ".." || split.find('/') != std::string::npos)
    throw ConfigError(layout + ": split '" + split + "' must be a plain folder or file name");
}

// ConfigError for a split that is not on disk, listing those that are.
[[noreturn]] void unknown_split(const std::string& layout, const std::string& top,
                                const std::string& split, const std::string& expected,
                                const std::vector<std::string>& known) {
  std::string list;
  for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
  throw ConfigError(layout + ": unknown split '" + split + "'" + did_you_mean(split, known) +
                    " (no " + expected + "); known under " + top + ": " +
                    (list.empty() ? "none" : list));
}

}  // namespace

ImageIndex ImageFolderLayout::scan(const std::string& root, const std::string& split,
                                   IndexSources& sources) const {
  check_split_name(name(), split);
  const std::string top = absolute_directory(root);
  require_directory(top, "image_folder root");
  ImageIndex index;
  index.layout = name();
  index.split = split;
  index.root = join_path(top, split);
  if (!is_directory(index.root)) {
    IndexSources unused;
    unknown_split(name(), top, split, index.root, list_subdirectories(top, unused));
  }
  ProblemLog problems;
  for (const auto& entry : list_directory(index.root, sources)) {
    if (entry.is_directory) {
      index.classes.push_back(entry.name);
    } else if (is_image_name(entry.name)) {
      problems.add(
          "image outside a class folder",
          join_path(index.root, entry.name) + ": image outside a class folder, not indexed");
    }
  }
  for (std::size_t label = 0; label < index.classes.size(); ++label) {
    const std::string& name = index.classes[label];
    for (auto& file : list_image_files(join_path(index.root, name), true, sources, name))
      index.entries.push_back({std::move(file.path), static_cast<int64_t>(label), file.bytes, {}});
  }
  std::sort(index.entries.begin(), index.entries.end(),
            [](const ImageEntry& a, const ImageEntry& b) { return a.path < b.path; });
  index.problems = problems.take();
  return index;
}

ImageIndex ImageListLayout::scan(const std::string& root, const std::string& split,
                                 IndexSources& sources) const {
  check_split_name(name(), split);
  const std::string top = absolute_directory(root);
  require_directory(top, "image_list root");
  const std::string list = join_path(top, split + ".txt");
  if (!is_file(list)) {
    IndexSources unused;
    std::vector<std::string> known;
    for (const auto& entry : list_directory(top, unused)) {
      const std::size_t n = entry.name.size();
      if (!entry.is_directory && n > 4 && entry.name.compare(n - 4, 4, ".txt") == 0)
        known.push_back(entry.name.substr(0, n - 4));
    }
    unknown_split(name(), top, split, list, known);
  }
  ImageIndex index;
  index.layout = name();
  index.split = split;
  index.root = top;
  ProblemLog problems;
  std::set<std::string> folders;
  int64_t max_label = -1;
  read_lines(list, sources, [&](int64_t number, std::string_view line) {
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') return;
    const auto [path, label_text] = split_last_field(content);
    const auto label = parse_integer(label_text);
    if (path.empty() || !label || *label < 0)
      throw DataError(line_error(list, number,
                                 "expected '<path> <label>' with a non-negative "
                                 "integer label, got '" +
                                     std::string(content) + "'"));
    if (path.front() == '/')
      throw DataError(
          line_error(list, number, "path '" + std::string(path) + "' must be relative to " + top));
    ImageEntry entry;
    entry.path = std::string(path);
    entry.label = *label;
    const std::string file = join_path(top, entry.path);
    entry.bytes = file_bytes(file);
    if (entry.bytes < 0)
      problems.add("missing file", line_error(list, number, file + " is missing"));
    const std::size_t slash = entry.path.rfind('/');
    folders.insert(slash == std::string::npos ? "" : entry.path.substr(0, slash));
    max_label = std::max(max_label, *label);
    index.entries.push_back(std::move(entry));
  });
  for (int64_t label = 0; label <= max_label; ++label)
    index.classes.push_back(std::to_string(label));
  // The folders of listed files, so that a cached index notices a file added or removed there.
  for (const auto& folder : folders) sources.directories.push_back(join_path(top, folder));
  index.problems = problems.take();
  return index;
}

}  // namespace fct::data
