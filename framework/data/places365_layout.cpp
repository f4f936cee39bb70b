#include "framework/data/places365_layout.h"

#include <map>
#include <set>

#include "framework/core/error.h"
#include "framework/core/suggest.h"
#include "framework/data/directory_listing.h"

namespace fct::data {
namespace {

struct SplitFiles {
  const char* list;
  std::vector<const char*> image_folders;  // the first that exists holds the images
};

// "<split>_large" picks the high-resolution folders when both variants are extracted side by side
// (otherwise the first folder that exists is used, 256x256 first).
std::optional<SplitFiles> split_files(const std::string& split) {
  const std::string suffix = "_large";
  if (split.size() > suffix.size() &&
      split.compare(split.size() - suffix.size(), suffix.size(), suffix) == 0) {
    auto files = split_files(split.substr(0, split.size() - suffix.size()));
    if (!files) return std::nullopt;
    std::vector<const char*> large;
    for (const char* folder : files->image_folders)
      if (std::string(folder).find("large") != std::string::npos) large.push_back(folder);
    files->image_folders = large;
    return files;
  }
  static const std::map<std::string, SplitFiles> kSplits = {
      {"train",
       {"places365_train_standard.txt",
        {"data_256", "data_large", "data_256_standard", "data_large_standard"}}},
      {"train_challenge",
       {"places365_train_challenge.txt",
        {"data_256", "data_large", "data_256_challenge", "data_large_challenge"}}},
      {"val", {"places365_val.txt", {"val_256", "val_large"}}}};
  const auto found = kSplits.find(split);
  if (found == kSplits.end()) return std::nullopt;
  return found->second;
}

}  // namespace

std::vector<std::string> read_places365_categories(const std::string& path, IndexSources& sources) {
  std::vector<std::string> classes;
  std::vector<int64_t> defined_on;  // line that defined each id, 0 = none yet
  read_lines(path, sources, [&](int64_t number, std::string_view line) {
    if (trim(line).empty()) return;
    const auto [category, id_text] = split_last_field(line);
    const auto id = parse_integer(id_text);
    if (category.empty() || !id || *id < 0)
      throw DataError(line_error(
          path, number, "expected '/<letter>/<category> <id>', got '" + std::string(line) + "'"));
    const auto i = static_cast<std::size_t>(*id);
    if (i >= classes.size()) {
      classes.resize(i + 1);
      defined_on.resize(i + 1, 0);
    }
    if (defined_on[i] != 0)
      throw DataError(line_error(path, number,
                                 "category id " + std::to_string(*id) +
                                     " already defined on line " + std::to_string(defined_on[i])));
    defined_on[i] = number;
    std::string_view name = category;
    if (!name.empty() && name.front() == '/') name.remove_prefix(1);
    classes[i] = std::string(name);
  });
  for (std::size_t i = 0; i < classes.size(); ++i)
    if (defined_on[i] == 0)
      throw DataError(path + ": no category has id " + std::to_string(i) + " (ids must be 0.." +
                      std::to_string(classes.size() - 1) + ")");
  if (classes.empty()) throw DataError(path + ": no categories");
  return classes;
}

ImageIndex Places365Layout::scan(const std::string& root, const std::string& split,
                                 IndexSources& sources) const {
  const auto files = split_files(split);
  if (!files)
    throw ConfigError("places365: unknown split '" + split + "'" + did_you_mean(split, splits()) +
                      "; known: train, train_challenge, val (each also as <split>_large)");
  const std::string top = absolute_directory(root);
  require_directory(top, "Places365 root");
  const std::string categories = join_path(top, "categories_places365.txt");
  const std::string list = join_path(top, files->list);
  require_file(categories, "Places365 category file");
  require_file(list, "Places365 list file");

  ImageIndex index;
  index.layout = name();
  index.split = split;
  for (const char* folder : files->image_folders)
    if (is_directory(join_path(top, folder))) {
      index.root = join_path(top, folder);
      break;
    }
  if (index.root.empty()) {
    std::string tried;
    for (const char* folder : files->image_folders)
      tried += (tried.empty() ? "" : ", ") + join_path(top, folder);
    throw DataError("Places365 " + split + ": no image folder found (tried " + tried + ")");
  }
  index.classes = read_places365_categories(categories, sources);

  ProblemLog problems;
  std::set<std::string> folders;  // of listed files: a restored or deleted file changes them
  read_lines(list, sources, [&](int64_t number, std::string_view line) {
    if (trim(line).empty()) return;
    auto [path, label_text] = split_last_field(line);
    const auto label = parse_integer(label_text);
    if (path.empty() || !label)
      throw DataError(line_error(
          list, number, "expected '<image path> <category id>', got '" + std::string(line) + "'"));
    if (*label < 0 || *label >= static_cast<int64_t>(index.classes.size()))
      throw DataError(line_error(list, number,
                                 "category id " + std::to_string(*label) + " outside 0.." +
                                     std::to_string(index.classes.size() - 1)));
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    ImageEntry entry;
    entry.path = std::string(path);
    entry.label = *label;
    const std::string file = join_path(index.root, entry.path);
    entry.bytes = file_bytes(file);
    if (entry.bytes < 0)
      problems.add("missing file", line_error(list, number, file + " is missing"));
    const std::size_t slash = entry.path.rfind('/');
    if (slash != std::string::npos) folders.insert(entry.path.substr(0, slash));
    index.entries.push_back(std::move(entry));
  });
  sources.directories.push_back(index.root);
  for (const auto& folder : folders) sources.directories.push_back(join_path(index.root, folder));
  index.problems = problems.take();
  return index;
}

}  // namespace fct::data
