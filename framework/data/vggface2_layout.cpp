#include "framework/data/vggface2_layout.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "framework/core/error.h"
#include "framework/core/suggest.h"
#include "framework/data/csv_reader.h"
#include "framework/data/directory_listing.h"

namespace fct::data {
namespace {

constexpr double kCropScale = 1.3;

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

// The identity of "n000002/0001_01.jpg": its first path component.
std::string identity_of(const std::string& path) {
  return path.substr(0, path.find('/'));
}

// Entries from a list file; a listed file that is missing stays, with bytes = -1.
void read_list(const std::string& list, const std::string& images, IndexSources& sources,
               ImageIndex& index, ProblemLog& problems) {
  std::set<std::string> folders;
  read_lines(list, sources, [&](int64_t number, std::string_view line) {
    line = trim(line);
    if (line.empty()) return;
    const std::size_t slash = line.find('/');
    if (slash == 0 || slash == std::string_view::npos || slash + 1 == line.size())
      throw DataError(line_error(
          list, number, "expected '<identity>/<image>.jpg', got '" + std::string(line) + "'"));
    ImageEntry entry;
    entry.path = std::string(line);
    const std::string file = join_path(images, entry.path);
    entry.bytes = file_bytes(file);
    if (entry.bytes < 0)
      problems.add("missing file", line_error(list, number, file + " is missing"));
    folders.insert(identity_of(entry.path));
    index.entries.push_back(std::move(entry));
  });
  // The folders of listed files, so that a cached index notices a file added or removed there.
  sources.directories.push_back(images);
  for (const auto& folder : folders) sources.directories.push_back(join_path(images, folder));
}

void scan_folders(const std::string& images, IndexSources& sources, ImageIndex& index,
                  ProblemLog& problems) {
  for (const auto& entry : list_directory(images, sources)) {
    if (!entry.is_directory) {
      if (is_image_name(entry.name))
        problems.add("image outside an identity folder",
                     join_path(images, entry.name) + ": image outside an identity folder");
      continue;
    }
    for (auto& file : list_image_files(join_path(images, entry.name), false, sources, entry.name))
      index.entries.push_back({std::move(file.path), 0, file.bytes, {}});
  }
}

// The entry whose path is `stem` + ".<extension>" in the path-sorted `entries`, or nullptr.
ImageEntry* find_by_stem(std::vector<ImageEntry>& entries, const std::string& stem) {
  auto it = std::lower_bound(entries.begin(), entries.end(), stem,
                             [](const ImageEntry& e, const std::string& s) { return e.path < s; });
  for (; it != entries.end() && it->path.compare(0, stem.size(), stem) == 0; ++it)
    if (it->path.size() > stem.size() && it->path[stem.size()] == '.' &&
        it->path.find('/', stem.size()) == std::string::npos)
      return &*it;
  return nullptr;
}

void read_boxes(const std::string& path, IndexSources& sources, ImageIndex& index,
                ProblemLog& problems) {
  sources.files.push_back(path);
  std::size_t columns[5] = {};
  bool header = true;
  read_csv_file(path, [&](const CsvRecord& record) {
    if (header) {
      const char* names[5] = {"NAME_ID", "X", "Y", "W", "H"};
      for (int i = 0; i < 5; ++i) columns[i] = csv_column(record, names[i], path);
      header = false;
      return;
    }
    double values[4];
    for (int i = 0; i < 4; ++i) {
      const std::size_t column = columns[i + 1];
      const auto value =
          column < record.fields.size() ? parse_number(record.fields[column]) : std::nullopt;
      if (!value)
        throw DataError(line_error(path, record.line, "expected NAME_ID,X,Y,W,H numbers"));
      values[i] = *value;
    }
    if (columns[0] >= record.fields.size())
      throw DataError(line_error(path, record.line, "no NAME_ID"));
    const std::string name(trim(record.fields[columns[0]]));
    if (values[2] <= 0 || values[3] <= 0) {
      problems.add("empty face box", line_error(path, record.line, name + ": box of no area"));
      return;
    }
    if (ImageEntry* entry = find_by_stem(index.entries, name))
      entry->box = vggface2_crop_box(values[0], values[1], values[2], values[3]);
  });
}

// identity_meta.csv: "Class_ID, Name, Sample_Num, Flag, Gender"; the Flag of each split's
// identities.
const std::map<std::string, int64_t>& identity_flags() {
  static const std::map<std::string, int64_t> flags = {{"train", 1}, {"test", 0}};
  return flags;
}

void check_identity_meta(const std::string& path, const std::string& split,
                         const std::vector<std::string>& identities, IndexSources& sources,
                         ProblemLog& problems) {
  sources.files.push_back(path);
  const std::set<std::string> in_split(identities.begin(), identities.end());
  const int64_t expected = identity_flags().at(split);
  std::size_t id_column = 0, flag_column = 0;
  bool header = true;
  read_csv_file(path, [&](const CsvRecord& record) {
    if (header) {
      id_column = csv_column(record, "Class_ID", path);
      flag_column = csv_column(record, "Flag", path);
      header = false;
      return;
    }
    if (std::max(id_column, flag_column) >= record.fields.size())
      throw DataError(line_error(path, record.line,
                                 "expected Class_ID, Name, Sample_Num, Flag, "
                                 "Gender"));
    const std::string id(trim(record.fields[id_column]));
    const auto flag = parse_integer(record.fields[flag_column]);
    if (!flag || (*flag != 0 && *flag != 1))
      throw DataError(line_error(path, record.line,
                                 "Flag must be 0 or 1, got '" + record.fields[flag_column] + "'"));
    if (*flag != expected && in_split.count(id) != 0)
      problems.add("identity flag", line_error(path, record.line,
                                               id + " has Flag " + std::to_string(*flag) + " (" +
                                                   (*flag == 1 ? "train" : "test") +
                                                   ") but is in the " + split + " split"));
  });
}

}  // namespace

RegionBox vggface2_crop_box(double x, double y, double width, double height) {
  const double cx = x + width / 2, cy = y + height / 2;
  const double w = width * kCropScale, h = height * kCropScale;
  return {static_cast<float>(cx - w / 2), static_cast<float>(cy - h / 2), static_cast<float>(w),
          static_cast<float>(h)};
}

ImageIndex VggFace2Layout::scan(const std::string& root, const std::string& split,
                                IndexSources& sources) const {
  require_split(split);
  const std::string top = absolute_directory(root);
  require_directory(top, "VGG-Face2 root");
  ImageIndex index;
  index.layout = name();
  index.split = split;
  index.root = join_path(top, split);
  require_directory(index.root, "VGG-Face2 " + split + " folder");
  ProblemLog problems;

  const std::string root_list = join_path(top, split + "_list.txt");
  const std::string meta_list = join_path(top, "meta/" + split + ".txt");
  if (is_file(root_list))
    read_list(root_list, index.root, sources, index, problems);
  else if (is_file(meta_list))
    read_list(meta_list, index.root, sources, index, problems);
  else
    scan_folders(index.root, sources, index, problems);

  std::sort(index.entries.begin(), index.entries.end(),
            [](const ImageEntry& a, const ImageEntry& b) { return a.path < b.path; });
  std::set<std::string> identities;
  for (const auto& entry : index.entries) identities.insert(identity_of(entry.path));
  index.classes.assign(identities.begin(), identities.end());
  std::unordered_map<std::string, int64_t> label;
  for (std::size_t i = 0; i < index.classes.size(); ++i)
    label.emplace(index.classes[i], static_cast<int64_t>(i));
  for (auto& entry : index.entries) entry.label = label.at(identity_of(entry.path));

  const std::string boxes = join_path(top, "bb_landmark/loose_bb_" + split + ".csv");
  if (is_file(boxes)) read_boxes(boxes, sources, index, problems);
  const std::string meta = join_path(top, "identity_meta.csv");
  if (is_file(meta)) check_identity_meta(meta, split, index.classes, sources, problems);
  index.problems = problems.take();
  return index;
}

}  // namespace fct::data
