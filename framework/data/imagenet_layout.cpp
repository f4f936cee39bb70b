#include "framework/data/imagenet_layout.h"

#include <matio.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "framework/core/error.h"
#include "framework/core/suggest.h"
#include "framework/data/csv_reader.h"
#include "framework/data/directory_listing.h"

namespace fct::data {
namespace {

constexpr const char* kDevkitData = "ILSVRC2012_devkit_t12/data";
constexpr const char* kGroundTruth = "ILSVRC2012_validation_ground_truth.txt";
constexpr const char* kKaggleData = "ILSVRC/Data/CLS-LOC";
constexpr const char* kKaggleSolution = "LOC_val_solution.csv";
constexpr const char* kKaggleSynsets = "LOC_synset_mapping.txt";

// ---- meta.mat through libmatio ----

struct MatCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct MatVarFreer {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};

std::size_t element_count(const matvar_t* var) {
  std::size_t count = 1;
  for (int i = 0; i < var->rank; ++i) count *= var->dims[i];
  return count;
}

// A numeric scalar of any MATLAB class (the devkit stores IDs as double).
std::optional<double> scalar_value(const matvar_t* var) {
  if (var == nullptr || var->data == nullptr || element_count(var) < 1) return std::nullopt;
  switch (var->data_type) {
    case MAT_T_DOUBLE:
      return *static_cast<const double*>(var->data);
    case MAT_T_SINGLE:
      return *static_cast<const float*>(var->data);
    case MAT_T_INT8:
      return *static_cast<const int8_t*>(var->data);
    case MAT_T_UINT8:
      return *static_cast<const uint8_t*>(var->data);
    case MAT_T_INT16:
      return *static_cast<const int16_t*>(var->data);
    case MAT_T_UINT16:
      return *static_cast<const uint16_t*>(var->data);
    case MAT_T_INT32:
      return *static_cast<const int32_t*>(var->data);
    case MAT_T_UINT32:
      return *static_cast<const uint32_t*>(var->data);
    case MAT_T_INT64:
      return static_cast<double>(*static_cast<const int64_t*>(var->data));
    case MAT_T_UINT64:
      return static_cast<double>(*static_cast<const uint64_t*>(var->data));
    default:
      return std::nullopt;
  }
}

// A char array as ASCII; MATLAB stores characters as 16-bit units, other writers as bytes.
std::optional<std::string> char_value(const matvar_t* var) {
  if (var == nullptr || var->class_type != MAT_C_CHAR) return std::nullopt;
  const std::size_t count = var->data ? element_count(var) : 0;
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    uint32_t unit = 0;
    switch (var->data_size) {
      case 1:
        unit = static_cast<const uint8_t*>(var->data)[i];
        break;
      case 2:
        unit = static_cast<const uint16_t*>(var->data)[i];
        break;
      case 4:
        unit = static_cast<const uint32_t*>(var->data)[i];
        break;
      default:
        return std::nullopt;
    }
    if (unit > 127) return std::nullopt;  // WNIDs are ASCII
    text.push_back(static_cast<char>(unit));
  }
  return text;
}

bool has_field(const matvar_t* var, const std::string& name) {
  const unsigned count = Mat_VarGetNumberOfFields(const_cast<matvar_t*>(var));
  char* const* names = Mat_VarGetStructFieldnames(var);
  for (unsigned i = 0; i < count && names != nullptr; ++i)
    if (names[i] != nullptr && name == names[i]) return true;
  return false;
}

// ---- the class list ----

std::vector<std::string> read_synset_mapping(const std::string& path, IndexSources& sources) {
  std::vector<std::string> wnids;
  read_lines(path, sources, [&](int64_t number, std::string_view line) {
    line = trim(line);
    if (line.empty()) return;
    const std::string_view wnid = line.substr(0, line.find_first_of(" \t"));
    if (wnid.size() < 2 || wnid[0] != 'n')
      throw DataError(
          line_error(path, number, "expected '<wnid> <names>', got '" + std::string(line) + "'"));
    wnids.emplace_back(wnid);
  });
  std::sort(wnids.begin(), wnids.end());
  return wnids;
}

// The devkit's ID -> WNID mapping: meta.mat, else map_clsloc.txt; nullopt when neither is there.
std::optional<DevkitSynsets> read_devkit(const std::string& top, IndexSources& sources) {
  const std::string data = join_path(top, kDevkitData);
  const std::string mat = join_path(data, "meta.mat");
  if (is_file(mat)) {
    sources.files.push_back(mat);
    return read_devkit_meta_mat(mat);
  }
  const std::string text = join_path(data, "map_clsloc.txt");
  if (is_file(text)) return read_map_clsloc(text, sources);
  return std::nullopt;
}

// See Note [ImageNet label order]. `base` holds train/ and val/; `top` is the dataset root.
std::vector<std::string> imagenet_classes(const std::string& top, const std::string& base,
                                          const std::vector<std::string>& val_folders,
                                          IndexSources& sources, std::string& origin) {
  const std::string train = join_path(base, "train");
  if (is_directory(train)) {
    origin = "the train folders of " + train;
    return list_subdirectories(train, sources);
  }
  const std::string mapping = join_path(top, kKaggleSynsets);
  if (is_file(mapping)) {
    origin = mapping;
    return read_synset_mapping(mapping, sources);
  }
  if (auto devkit = read_devkit(top, sources)) {
    origin = "the devkit leaves under " + join_path(top, kDevkitData);
    std::sort(devkit->leaves.begin(), devkit->leaves.end());
    return devkit->leaves;
  }
  if (!val_folders.empty()) {
    origin = "the val folders";
    return val_folders;
  }
  throw DataError("ImageNet under " + top + ": no class list (no " + train + ", no " + mapping +
                  ", no devkit under " + join_path(top, kDevkitData) + ")");
}

class ClassLookup {
 public:
  explicit ClassLookup(const std::vector<std::string>& classes) {
    for (std::size_t i = 0; i < classes.size(); ++i)
      label_.emplace(classes[i], static_cast<int64_t>(i));
  }
  std::optional<int64_t> find(const std::string& wnid) const {
    const auto it = label_.find(wnid);
    if (it == label_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::unordered_map<std::string, int64_t> label_;
};

// "ILSVRC2012_val_00000042.JPEG" -> 42; nullopt for another name.
std::optional<int64_t> val_number(const std::string& name) {
  static constexpr std::string_view kPrefix = "ILSVRC2012_val_";
  if (name.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  const std::size_t dot = name.find('.', kPrefix.size());
  const std::string digits = name.substr(kPrefix.size(), dot - kPrefix.size());
  if (digits.size() != 8) return std::nullopt;
  const auto number = parse_integer(digits);
  if (!number || *number < 1) return std::nullopt;
  return number;
}

std::string val_file_name(int64_t number) {
  char name[64];
  std::snprintf(name, sizeof(name), "ILSVRC2012_val_%08lld.JPEG", static_cast<long long>(number));
  return name;
}

void sort_entries(ImageIndex& index) {
  std::sort(index.entries.begin(), index.entries.end(),
            [](const ImageEntry& a, const ImageEntry& b) { return a.path < b.path; });
}

// Image files of `directory` that lie directly in it (its subfolders are classes).
std::vector<ImageFile> loose_images(const std::string& directory,
                                    const std::vector<DirectoryEntry>& listing) {
  std::vector<ImageFile> files;
  for (const auto& entry : listing)
    if (!entry.is_directory && is_image_name(entry.name))
      files.push_back({entry.name, file_bytes(join_path(directory, entry.name))});
  return files;
}

void scan_class_folders(const std::string& directory, const std::vector<DirectoryEntry>& listing,
                        const ClassLookup& classes, const std::string& class_origin,
                        IndexSources& sources, ImageIndex& index, ProblemLog& problems) {
  for (const auto& file : loose_images(directory, listing))
    problems.add("image outside a class folder",
                 join_path(directory, file.path) + ": image outside a class folder, not indexed");
  for (const auto& entry : listing) {
    if (!entry.is_directory) continue;
    const auto label = classes.find(entry.name);
    if (!label) {
      problems.add("unknown class folder", join_path(directory, entry.name) +
                                               ": folder is not a class of " + class_origin +
                                               ", not indexed");
      continue;
    }
    for (auto& file :
         list_image_files(join_path(directory, entry.name), false, sources, entry.name))
      index.entries.push_back({std::move(file.path), *label, file.bytes, {}});
  }
}

// Flat val + devkit ground truth (one ILSVRC2012_ID per line, line n = ILSVRC2012_val_<n>).
void scan_devkit_val(const std::string& top, const std::string& val,
                     const std::vector<DirectoryEntry>& listing, const ClassLookup& classes,
                     const std::string& class_origin, IndexSources& sources, ImageIndex& index,
                     ProblemLog& problems) {
  const std::string data = join_path(top, kDevkitData);
  const std::string truth = join_path(data, kGroundTruth);
  const auto devkit = read_devkit(top, sources);
  if (!devkit)
    throw DataError("ImageNet devkit: neither " + join_path(data, "meta.mat") + " nor " +
                    join_path(data, "map_clsloc.txt") + " found (needed to map " + truth +
                    " to WNIDs)");
  std::vector<std::string> wnid_of_image;  // [n - 1]
  read_lines(truth, sources, [&](int64_t number, std::string_view line) {
    const auto id = parse_integer(line);
    if (!id)
      throw DataError(
          line_error(truth, number, "expected an ILSVRC2012_ID, got '" + std::string(line) + "'"));
    const auto it = devkit->wnid_by_id.find(*id);
    if (it == devkit->wnid_by_id.end())
      throw DataError(
          line_error(truth, number,
                     "ILSVRC2012_ID " + std::to_string(*id) + " is not a synset of the devkit"));
    wnid_of_image.push_back(it->second);
  });
  std::vector<bool> seen(wnid_of_image.size(), false);
  for (auto& file : loose_images(val, listing)) {
    const auto number = val_number(file.path);
    if (!number || *number > static_cast<int64_t>(wnid_of_image.size())) {
      problems.add("unlisted image",
                   join_path(val, file.path) + ": no line of " + truth + " names it, not indexed");
      continue;
    }
    const std::string& wnid = wnid_of_image[*number - 1];
    const auto label = classes.find(wnid);
    if (!label) {
      problems.add("unknown class", join_path(val, file.path) + ": class " + wnid +
                                        " is not one of " + class_origin + ", not indexed");
      continue;
    }
    seen[*number - 1] = true;
    index.entries.push_back({std::move(file.path), *label, file.bytes, {}});
  }
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i]) continue;
    const auto label = classes.find(wnid_of_image[i]);
    if (!label) continue;  // neither on disk nor a known class: nothing to keep
    const std::string name = val_file_name(static_cast<int64_t>(i) + 1);
    problems.add("missing file",
                 truth + ":" + std::to_string(i + 1) + ": " + join_path(val, name) + " is missing");
    index.entries.push_back({name, *label, -1, {}});
  }
}

// Flat Kaggle val + LOC_val_solution.csv (ImageId -> "<wnid> <box> <wnid> <box> ...").
void scan_kaggle_val(const std::string& top, const std::string& val,
                     const std::vector<DirectoryEntry>& listing, const ClassLookup& classes,
                     const std::string& class_origin, IndexSources& sources, ImageIndex& index,
                     ProblemLog& problems) {
  const std::string solution = join_path(top, kKaggleSolution);
  sources.files.push_back(solution);
  std::map<std::string, std::string> wnid_of_image;  // ordered: missing files come out sorted
  std::size_t image_column = 0, prediction_column = 0;
  bool header = true;
  read_csv_file(solution, [&](const CsvRecord& record) {
    if (header) {
      image_column = csv_column(record, "ImageId", solution);
      prediction_column = csv_column(record, "PredictionString", solution);
      header = false;
      return;
    }
    const std::size_t needed = std::max(image_column, prediction_column) + 1;
    if (record.fields.size() < needed)
      throw DataError(
          line_error(solution, record.line, "expected " + std::to_string(needed) + " fields"));
    const std::string id(trim(record.fields[image_column]));
    const std::string_view prediction = trim(record.fields[prediction_column]);
    const std::string wnid(prediction.substr(0, prediction.find_first_of(" \t")));
    if (id.empty() || wnid.empty())
      throw DataError(line_error(solution, record.line, "empty ImageId or PredictionString"));
    if (!wnid_of_image.emplace(id, wnid).second)
      throw DataError(line_error(solution, record.line, "ImageId " + id + " appears twice"));
  });
  std::set<std::string> seen;
  for (auto& file : loose_images(val, listing)) {
    const std::string id = file.path.substr(0, file.path.rfind('.'));
    const auto it = wnid_of_image.find(id);
    if (it == wnid_of_image.end()) {
      problems.add("unlisted image",
                   join_path(val, file.path) + ": not in " + solution + ", not indexed");
      continue;
    }
    const auto label = classes.find(it->second);
    if (!label) {
      problems.add("unknown class", join_path(val, file.path) + ": class " + it->second +
                                        " is not one of " + class_origin + ", not indexed");
      continue;
    }
    seen.insert(id);
    index.entries.push_back({std::move(file.path), *label, file.bytes, {}});
  }
  for (const auto& [id, wnid] : wnid_of_image) {
    if (seen.count(id) != 0) continue;
    const auto label = classes.find(wnid);
    if (!label) continue;
    problems.add("missing file", solution + ": " + join_path(val, id + ".JPEG") + " is missing");
    index.entries.push_back({id + ".JPEG", *label, -1, {}});
  }
}

}  // namespace

DevkitSynsets read_devkit_meta_mat(const std::string& path) {
  std::unique_ptr<mat_t, MatCloser> mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
  if (!mat) throw DataError("cannot open MATLAB file " + path);
  std::unique_ptr<matvar_t, MatVarFreer> synsets(Mat_VarRead(mat.get(), "synsets"));
  if (!synsets) throw DataError(path + ": no variable 'synsets'");
  if (synsets->class_type != MAT_C_STRUCT)
    throw DataError(path + ": 'synsets' is not a struct array");
  for (const char* field : {"ILSVRC2012_ID", "WNID"})
    if (!has_field(synsets.get(), field))
      throw DataError(path + ": 'synsets' has no field '" + field + "'");
  const bool has_children = has_field(synsets.get(), "num_children");
  DevkitSynsets result;
  const std::size_t count = element_count(synsets.get());
  for (std::size_t i = 0; i < count; ++i) {
    const auto id = scalar_value(Mat_VarGetStructFieldByName(synsets.get(), "ILSVRC2012_ID", i));
    const auto wnid = char_value(Mat_VarGetStructFieldByName(synsets.get(), "WNID", i));
    if (!id || !wnid || wnid->empty())
      throw DataError(path + ": synsets(" + std::to_string(i + 1) +
                      ") has no numeric ILSVRC2012_ID or no WNID");
    const auto children =
        has_children ? scalar_value(Mat_VarGetStructFieldByName(synsets.get(), "num_children", i))
                     : std::optional<double>(0.0);
    const auto key = static_cast<int64_t>(*id);
    if (!result.wnid_by_id.emplace(key, *wnid).second)
      throw DataError(path + ": ILSVRC2012_ID " + std::to_string(key) + " appears twice");
    if (children && *children == 0) result.leaves.push_back(*wnid);
  }
  return result;
}

DevkitSynsets read_map_clsloc(const std::string& path, IndexSources& sources) {
  DevkitSynsets result;
  read_lines(path, sources, [&](int64_t number, std::string_view line) {
    line = trim(line);
    if (line.empty()) return;
    const std::size_t first = line.find_first_of(" \t");
    const std::string_view wnid = line.substr(0, first);
    const std::string_view rest = first == std::string_view::npos ? "" : trim(line.substr(first));
    const auto id = parse_integer(rest.substr(0, rest.find_first_of(" \t")));
    if (wnid.empty() || !id)
      throw DataError(
          line_error(path, number,
                     "expected '<wnid> <ILSVRC2012_ID> <name>', got '" + std::string(line) + "'"));
    if (!result.wnid_by_id.emplace(*id, std::string(wnid)).second)
      throw DataError(
          line_error(path, number, "ILSVRC2012_ID " + std::to_string(*id) + " appears twice"));
    result.leaves.emplace_back(wnid);
  });
  return result;
}

ImageIndex ImagenetLayout::scan(const std::string& root, const std::string& split,
                                IndexSources& sources) const {
  require_split(split);
  const bool training = split == splits().front();  // train: its folders are the classes
  const std::string top = absolute_directory(root);
  require_directory(top, "ImageNet root");
  const std::string kaggle = join_path(top, kKaggleData);
  const std::string base = is_directory(kaggle) ? kaggle : top;

  ImageIndex index;
  index.layout = name();
  index.split = split;
  index.root = join_path(base, split);
  require_directory(index.root, "ImageNet " + split + " folder");
  ProblemLog problems;

  const auto listing = list_directory(index.root, sources);
  std::vector<std::string> folders;
  for (const auto& entry : listing)
    if (entry.is_directory) folders.push_back(entry.name);

  std::string class_origin;
  if (training) {
    index.classes = folders;  // listed already: the train folders are the classes
    class_origin = "the train folders";
  } else {
    index.classes = imagenet_classes(top, base, folders, sources, class_origin);
  }
  const ClassLookup classes(index.classes);

  if (training || !folders.empty()) {
    scan_class_folders(index.root, listing, classes, class_origin, sources, index, problems);
  } else if (is_file(join_path(top, kKaggleSolution))) {
    scan_kaggle_val(top, index.root, listing, classes, class_origin, sources, index, problems);
  } else if (is_file(join_path(join_path(top, kDevkitData), kGroundTruth))) {
    scan_devkit_val(top, index.root, listing, classes, class_origin, sources, index, problems);
  } else {
    throw DataError("ImageNet val " + index.root + " is flat (no class folders) but neither " +
                    join_path(join_path(top, kDevkitData), kGroundTruth) + " nor " +
                    join_path(top, kKaggleSolution) + " was found to label it");
  }
  sort_entries(index);
  index.problems = problems.take();
  return index;
}

}  // namespace fct::data
