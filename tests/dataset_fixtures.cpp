#include "tests/dataset_fixtures.h"

#include <matio.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

#include "tests/image_fixtures.h"

namespace fct::testing {
namespace fs = std::filesystem;
namespace {

// Writes real image files of varied sizes (~48x40) so that nothing depends on one size.
class ImageWriter {
 public:
  // A normal colour JPEG at `path`.
  void image(const std::string& path) { write(path, bytes_of(std::nullopt)); }

  // A file of kind `kind` at `path`.
  void bad(const std::string& path, BadFile kind) { write(path, bytes_of(kind)); }

 private:
  std::vector<uint8_t> bytes_of(std::optional<BadFile> kind) {
    const int64_t n = count_++;
    const int64_t width = 40 + (n * 7) % 17, height = 32 + (n * 5) % 17;
    const auto seed = static_cast<uint64_t>(n) + 1;
    if (!kind) return encode_jpeg(test_pattern(height, width, 3, seed));
    switch (*kind) {
      case BadFile::kGrey:
        return encode_jpeg(test_pattern(height, width, 1, seed), {92, Chroma::kGrey, false});
      case BadFile::kCmyk:
        return encode_cmyk_jpeg(test_pattern(height, width, 4, seed));
      case BadFile::kProgressive:
        return encode_jpeg(test_pattern(height, width, 3, seed), {92, Chroma::k420, true});
      case BadFile::kTruncated: {
        // Big enough that the cut falls in the scan data, past the tables and the SOS marker
        // (a small file cut at 60% can lose its SOS and be unreadable instead of truncated).
        auto bytes = encode_jpeg(test_pattern(4 * height, 4 * width, 3, seed));
        bytes.resize(bytes.size() * 6 / 10);
        return bytes;
      }
      case BadFile::kEmpty:
        return {};
      case BadFile::kPngNamedJpeg:
        return encode_png(test_pattern(height, width, 3, seed));
      case BadFile::kGarbage: {
        std::vector<uint8_t> bytes(700);
        uint64_t state = seed * 0x9E3779B97F4A7C15ull;
        for (auto& b : bytes) {
          state = state * 6364136223846793005ull + 1442695040888963407ull;
          b = static_cast<uint8_t>(state >> 56);
        }
        bytes[0] = 0x42;  // neither a JPEG (FF D8) nor a PNG (89 50) signature
        return bytes;
      }
    }
    throw std::logic_error("unknown BadFile kind");
  }

  static void write(const std::string& path, const std::vector<uint8_t>& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    write_bytes(path, bytes);
  }

  int64_t count_ = 0;
};

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string absolute(const std::string& directory) {
  fs::create_directories(directory);
  return fs::canonical(directory).string();
}

// Plants one file of each BadFile kind in the split, spread over its classes; `name_of(kind,
// class)` gives the entry path, which must carry an image extension.
void plant_bad_files(ImageWriter& writer, FixtureSplit& split,
                     const std::function<std::string(BadFile, int64_t)>& name_of) {
  int64_t label = 0;
  for (BadFile kind : all_bad_files()) {
    const std::string path = name_of(kind, label);
    writer.bad(split.image_root + "/" + path, kind);
    split.labels[path] = label;
    split.bad_files[kind] = path;
    label = (label + 1) % static_cast<int64_t>(split.classes.size());
  }
}

std::string number8(int64_t n) {
  char text[16];
  std::snprintf(text, sizeof(text), "%08lld", static_cast<long long>(n));
  return text;
}

// ---- ImageNet ----

// Sorted, so label = position; devkit IDs deliberately in another order (see kImagenetIds).
const std::vector<std::string> kWnids = {"n01440764", "n01751748", "n02123045", "n03000134",
                                         "n04596742"};
const std::vector<std::string> kWords = {"tench, Tinca tinca", "sea snake", "tabby, tabby cat",
                                         "chainlink fence", "wok"};
// kImagenetIds[label] = the devkit's ILSVRC2012_ID of kWnids[label].
const std::vector<int64_t> kImagenetIds = {3, 2, 5, 4, 1};
// Val image n (1-based) has label kValLabels[n - 1]; the first is the sea snake, as in the real
// set.
const std::vector<int64_t> kValLabels = {1, 4, 0, 2, 3, 1, 0, 4, 2, 3};

std::vector<DevkitSynset> imagenet_synsets() {
  std::vector<DevkitSynset> synsets(kWnids.size());
  for (std::size_t label = 0; label < kWnids.size(); ++label)
    synsets[kImagenetIds[label] - 1] = {kImagenetIds[label], kWnids[label], kWords[label], 0};
  synsets.push_back({6, "n00001740", "entity", 2});
  synsets.push_back({7, "n00021939", "artifact, artefact", 3});
  return synsets;
}

}  // namespace

const std::vector<BadFile>& all_bad_files() {
  static const std::vector<BadFile> kinds = {
      BadFile::kGrey,  BadFile::kCmyk,         BadFile::kProgressive, BadFile::kTruncated,
      BadFile::kEmpty, BadFile::kPngNamedJpeg, BadFile::kGarbage};
  return kinds;
}

std::string bad_file_name(BadFile kind) {
  switch (kind) {
    case BadFile::kGrey:
      return "grey";
    case BadFile::kCmyk:
      return "cmyk";
    case BadFile::kProgressive:
      return "progressive";
    case BadFile::kTruncated:
      return "truncated";
    case BadFile::kEmpty:
      return "empty";
    case BadFile::kPngNamedJpeg:
      return "png_named_jpeg";
    case BadFile::kGarbage:
      return "garbage";
  }
  return "unknown";
}

void write_devkit_meta_mat(const std::string& path, const std::vector<DevkitSynset>& synsets) {
  fs::create_directories(fs::path(path).parent_path());
  struct Closer {
    void operator()(mat_t* mat) const { Mat_Close(mat); }
  };
  struct Freer {
    void operator()(matvar_t* var) const { Mat_VarFree(var); }
  };
  std::unique_ptr<mat_t, Closer> mat(Mat_CreateVer(path.c_str(), nullptr, MAT_FT_MAT5));
  if (!mat) throw std::runtime_error("cannot create " + path);
  const char* fields[] = {"ILSVRC2012_ID", "WNID", "words", "num_children", nullptr};
  size_t dims[2] = {synsets.size(), 1};
  std::unique_ptr<matvar_t, Freer> array(Mat_VarCreateStruct2("synsets", 2, dims, fields));
  if (!array) throw std::runtime_error("cannot create the synsets struct for " + path);
  const auto number = [](double value) {
    size_t one[2] = {1, 1};
    return Mat_VarCreate(nullptr, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, one, &value, 0);
  };
  const auto text = [](const std::string& value) {
    std::vector<uint16_t> units(value.begin(), value.end());
    size_t shape[2] = {1, value.size()};
    return Mat_VarCreate(nullptr, MAT_C_CHAR, MAT_T_UINT16, 2, shape, units.data(), 0);
  };
  for (std::size_t i = 0; i < synsets.size(); ++i) {
    Mat_VarSetStructFieldByName(array.get(), "ILSVRC2012_ID", i,
                                number(static_cast<double>(synsets[i].id)));
    Mat_VarSetStructFieldByName(array.get(), "WNID", i, text(synsets[i].wnid));
    Mat_VarSetStructFieldByName(array.get(), "words", i, text(synsets[i].words));
    Mat_VarSetStructFieldByName(array.get(), "num_children", i,
                                number(static_cast<double>(synsets[i].num_children)));
  }
  if (Mat_VarWrite(mat.get(), array.get(), MAT_COMPRESSION_ZLIB) != 0)
    throw std::runtime_error("cannot write the synsets of " + path);
}

DatasetFixture write_imagenet_fixture(const std::string& directory, ImagenetVal val) {
  DatasetFixture fixture;
  fixture.layout = "imagenet";
  fixture.root = absolute(directory);
  const std::string base =
      val == ImagenetVal::kKaggle ? fixture.root + "/ILSVRC/Data/CLS-LOC" : fixture.root;
  ImageWriter writer;

  FixtureSplit& train = fixture.splits["train"];
  train.image_root = base + "/train";
  train.classes = kWnids;
  for (std::size_t label = 0; label < kWnids.size(); ++label)
    for (int k = 1; k <= 3; ++k) {
      // Numbers neither fixed-width nor consecutive, as in the real train set.
      const std::string path =
          kWnids[label] + "/" + kWnids[label] + "_" + std::to_string(k * 37 + label) + ".JPEG";
      writer.image(train.image_root + "/" + path);
      train.labels[path] = static_cast<int64_t>(label);
    }
  plant_bad_files(writer, train, [](BadFile kind, int64_t label) {
    const std::string& wnid = kWnids[label];
    const std::string stem =
        wnid + "/" + wnid + "_" + std::to_string(9000 + static_cast<int>(kind));
    return stem + (kind == BadFile::kGarbage ? ".jpg" : ".JPEG");
  });

  FixtureSplit& split = fixture.splits["val"];
  split.image_root = base + "/val";
  split.classes = kWnids;
  std::string solution = "ImageId,PredictionString\n";
  std::string truth;
  for (std::size_t n = kValLabels.size(); n >= 1; --n) {  // the solution's rows are not in order
    const int64_t label = kValLabels[n - 1];
    const std::string name = "ILSVRC2012_val_" + number8(static_cast<int64_t>(n));
    const std::string path =
        (val == ImagenetVal::kFolders ? kWnids[label] + "/" : std::string()) + name + ".JPEG";
    writer.image(split.image_root + "/" + path);
    split.labels[path] = label;
    solution += name + "," + kWnids[label] + " 1 2 30 28 " + kWnids[label] + " 3 4 20 20 \n";
  }
  for (int64_t label : kValLabels) truth += std::to_string(kImagenetIds[label]) + "\n";

  const std::string devkit = fixture.root + "/ILSVRC2012_devkit_t12/data";
  switch (val) {
    case ImagenetVal::kFolders:
      break;
    case ImagenetVal::kDevkitMat:
      write_text(devkit + "/ILSVRC2012_validation_ground_truth.txt", truth);
      write_devkit_meta_mat(devkit + "/meta.mat", imagenet_synsets());
      break;
    case ImagenetVal::kDevkitText: {
      write_text(devkit + "/ILSVRC2012_validation_ground_truth.txt", truth);
      std::string mapping;
      for (const auto& synset : imagenet_synsets())
        if (synset.num_children == 0)
          mapping += synset.wnid + " " + std::to_string(synset.id) + " " + synset.words + "\n";
      write_text(devkit + "/map_clsloc.txt", mapping);
      break;
    }
    case ImagenetVal::kKaggle: {
      write_text(fixture.root + "/LOC_val_solution.csv", solution);
      std::string mapping;
      for (std::size_t label = 0; label < kWnids.size(); ++label)
        mapping += kWnids[label] + " " + kWords[label] + "\n";
      write_text(fixture.root + "/LOC_synset_mapping.txt", mapping);
      break;
    }
  }
  return fixture;
}

// ---- Places-365 ----

DatasetFixture write_places365_fixture(const std::string& directory) {
  const std::vector<std::string> categories = {"a/airfield", "a/apartment_building/outdoor",
                                               "b/bedroom", "s/swimming_pool/indoor",
                                               "s/swimming_pool/outdoor"};
  DatasetFixture fixture;
  fixture.layout = "places365";
  fixture.root = absolute(directory);
  ImageWriter writer;
  std::string category_file;
  for (std::size_t i = 0; i < categories.size(); ++i)
    category_file += "/" + categories[i] + " " + std::to_string(i) + "\n";
  write_text(fixture.root + "/categories_places365.txt", category_file);

  FixtureSplit& train = fixture.splits["train"];
  train.image_root = fixture.root + "/data_256";
  train.classes = categories;
  for (std::size_t label = 0; label < categories.size(); ++label)
    for (int k = 1; k <= 3; ++k) {
      const std::string path = categories[label] + "/" + number8(k) + ".jpg";
      writer.image(train.image_root + "/" + path);
      train.labels[path] = static_cast<int64_t>(label);
    }
  plant_bad_files(writer, train, [&](BadFile kind, int64_t label) {
    return categories[label] + "/" + number8(100 + static_cast<int>(kind)) + ".jpg";
  });

  // Challenge = standard + more images per category, in the same folder.
  FixtureSplit challenge = train;
  for (std::size_t label = 0; label < categories.size(); ++label) {
    const std::string path = categories[label] + "/" + number8(5000 + label) + ".jpg";
    writer.image(challenge.image_root + "/" + path);
    challenge.labels[path] = static_cast<int64_t>(label);
  }
  fixture.splits["train_challenge"] = challenge;

  FixtureSplit& val = fixture.splits["val"];
  val.image_root = fixture.root + "/val_256";
  val.classes = categories;
  std::string val_list;
  for (int n = 1; n <= 10; ++n) {
    const int64_t label = (n * 3) % static_cast<int64_t>(categories.size());
    const std::string path = "Places365_val_" + number8(n) + ".jpg";
    writer.image(val.image_root + "/" + path);
    val.labels[path] = label;
    val_list += path + " " + std::to_string(label) + "\n";
  }
  write_text(fixture.root + "/places365_val.txt", val_list);

  // The lists as shipped: a leading '/', sorted by category then file.
  const auto list_of = [&](const FixtureSplit& split) {
    std::vector<std::pair<std::string, int64_t>> rows(split.labels.begin(), split.labels.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second < b.second : a.first < b.first;
    });
    std::string text;
    for (const auto& [path, label] : rows) text += "/" + path + " " + std::to_string(label) + "\n";
    return text;
  };
  write_text(fixture.root + "/places365_train_standard.txt", list_of(train));
  write_text(fixture.root + "/places365_train_challenge.txt", list_of(challenge));
  return fixture;
}

// ---- VGG-Face2 ----

DatasetFixture write_vggface2_fixture(const std::string& directory) {
  DatasetFixture fixture;
  fixture.layout = "vggface2";
  fixture.root = absolute(directory);
  ImageWriter writer;
  const std::map<std::string, std::vector<std::string>> identities = {
      {"train", {"n000002", "n000003", "n000005", "n000010"}},
      {"test", {"n000001", "n000004", "n000009"}}};
  const std::vector<std::string> faces = {"0001_01", "0001_02", "0013_01"};
  for (const auto& [name, ids] : identities) {
    FixtureSplit& split = fixture.splits[name];
    split.image_root = fixture.root + "/" + name;
    split.classes = ids;
    std::string list, boxes = "NAME_ID,X,Y,W,H\n";
    int64_t row = 0;
    const auto add_box = [&](const std::string& path) {
      // Some boxes start left of / above the image or end past it: the decoder clamps.
      const double x = row % 3 == 0 ? -6 : 5 + row, y = row % 4 == 1 ? -3 : 4,
                   w = row % 3 == 2 ? 60 : 20 + row, h = 24 + row % 5;
      ++row;
      boxes += "\"" + path.substr(0, path.size() - 4) + "\"," + std::to_string(int(x)) + "," +
               std::to_string(int(y)) + "," + std::to_string(int(w)) + "," +
               std::to_string(int(h)) + "\n";
      const double cx = x + w / 2, cy = y + h / 2;
      split.boxes[path] = {static_cast<float>(cx - 0.65 * w), static_cast<float>(cy - 0.65 * h),
                           static_cast<float>(1.3 * w), static_cast<float>(1.3 * h)};
    };
    for (std::size_t label = 0; label < ids.size(); ++label)
      for (const auto& face : faces) {
        const std::string path = ids[label] + "/" + face + ".jpg";
        writer.image(split.image_root + "/" + path);
        split.labels[path] = static_cast<int64_t>(label);
      }
    if (name == "train")
      plant_bad_files(writer, split, [&](BadFile kind, int64_t label) {
        return ids[label] + "/09" + std::to_string(10 + static_cast<int>(kind)) + "_01.jpg";
      });
    for (const auto& [path, label] : split.labels) {
      list += path + "\n";
      add_box(path);
    }
    write_text(fixture.root + (name == "train" ? "/train_list.txt" : "/meta/test.txt"), list);
    write_text(fixture.root + "/bb_landmark/loose_bb_" + name + ".csv", boxes);
  }
  // As shipped: ", " separators, quoted names (some with commas); n000010 is flagged test but
  // lies in train (a problem to report); n009999 is in no list (fine).
  write_text(fixture.root + "/identity_meta.csv",
             "Class_ID, Name, Sample_Num, Flag, Gender\n"
             "n000001, \"14th_Dalai_Lama\", 424, 0, m\n"
             "n000002, \"A_Fine_Frenzy\", 315, 1, f\n"
             "n000003, \"A._A._Gill\", 205, 1, m\n"
             "n000004, \"Abdel_Rahman, Jr.\", 370, 0, m\n"
             "n000005, \"Abdel_Aziz_Al-Hakim\", 254, 1, m\n"
             "n000009, \"Smith, \"\"Bo\"\"\", 301, 0, m\n"
             "n000010, \"Adhyaksa_Dault\", 319, 0, m\n"
             "n009999, \"Nobody, Listed\", 12, 1, f\n");
  fixture.splits["train"].expected_problems.push_back("n000010 has Flag 0");
  return fixture;
}

// ---- image_folder / image_list ----

DatasetFixture write_image_folder_fixture(const std::string& directory) {
  DatasetFixture fixture;
  fixture.layout = "image_folder";
  fixture.root = absolute(directory);
  ImageWriter writer;
  for (const std::string name : {"train", "val"}) {
    FixtureSplit& split = fixture.splits[name];
    split.image_root = fixture.root + "/" + name;
    split.classes = {"cat", "dog", "zebra"};
    const std::vector<std::string> paths = {"cat/c1.jpg",
                                            "cat/c2.JPG",
                                            "dog/d1.jpeg",
                                            "dog/puppies/p1.png",
                                            "dog/puppies/old/p2.Jpg",
                                            "zebra/z1.jpg",
                                            "zebra/z2.jpg"};
    for (const auto& path : paths) {
      const std::string extension = path.substr(path.rfind('.') + 1);
      const std::string full = split.image_root + "/" + path;
      if (extension == "png") {
        fs::create_directories(fs::path(full).parent_path());
        write_bytes(full, encode_png(test_pattern(36, 44, 3, path.size())));
      } else {
        writer.image(full);
      }
      split.labels[path] = path.rfind("cat", 0) == 0 ? 0 : path.rfind("dog", 0) == 0 ? 1 : 2;
    }
    write_text(split.image_root + "/dog/notes.txt", "not an image\n");
    if (name == "train")
      plant_bad_files(writer, split, [&](BadFile kind, int64_t label) {
        return split.classes[label] + "/bad_" + bad_file_name(kind) +
               (kind == BadFile::kPngNamedJpeg ? ".JPEG" : ".jpg");
      });
  }
  return fixture;
}

DatasetFixture write_image_list_fixture(const std::string& directory) {
  DatasetFixture fixture;
  fixture.layout = "image_list";
  fixture.root = absolute(directory);
  ImageWriter writer;
  for (const std::string name : {"train", "val"}) {
    FixtureSplit& split = fixture.splits[name];
    split.image_root = fixture.root;
    split.classes = {"0", "1", "2", "3"};
    std::string list = "# " + name + " split: <path relative to the root> <label>\n\n";
    for (int i = 0; i < 8; ++i) {
      const int64_t label = i % 4;
      // Some paths with spaces, as lists of scraped images have.
      const std::string path = "images/" + name + (i % 3 == 0 ? "/with space/img " : "/img_") +
                               std::to_string(i) + ".jpg";
      writer.image(fixture.root + "/" + path);
      split.labels[path] = label;
      list += path + (i % 2 ? "\t" : " ") + std::to_string(label) + "\n";
      if (i == 3) list += "   \n# a comment in the middle\n";
    }
    if (name == "train") {
      std::string bad_lines;
      plant_bad_files(writer, split, [&](BadFile kind, int64_t label) {
        const std::string path = "images/bad/" + bad_file_name(kind) +
                                 (kind == BadFile::kPngNamedJpeg ? ".JPEG" : ".jpg");
        bad_lines += path + " " + std::to_string(label) + "\n";
        return path;
      });
      list += bad_lines;
    }
    write_text(fixture.root + "/" + name + ".txt", list);
  }
  return fixture;
}

std::string compare_index(const data::ImageIndex& index, const FixtureSplit& split) {
  std::string differences;
  const auto differ = [&](const std::string& line) { differences += line + "\n"; };
  if (index.root != split.image_root)
    differ("root " + index.root + ", expected " + split.image_root);
  if (index.classes != split.classes) {
    std::string found;
    for (const auto& c : index.classes) found += " " + c;
    differ("classes" + found);
  }
  std::map<std::string, int64_t> missing = split.labels;
  for (const auto& entry : index.entries) {
    const auto it = missing.find(entry.path);
    if (it == missing.end()) {
      differ("unexpected entry " + entry.path);
      continue;
    }
    if (it->second != entry.label)
      differ(entry.path + ": label " + std::to_string(entry.label) + ", expected " +
             std::to_string(it->second));
    std::error_code error;
    const auto size = fs::file_size(split.image_root + "/" + entry.path, error);
    if (error || entry.bytes != static_cast<int64_t>(size))
      differ(entry.path + ": bytes " + std::to_string(entry.bytes) + " differ from the file's");
    const auto box = split.boxes.find(entry.path);
    const data::RegionBox expected = box == split.boxes.end() ? data::RegionBox{} : box->second;
    const auto near = [](float a, float b) { return std::abs(a - b) < 1e-3f; };
    if (!near(entry.box.x, expected.x) || !near(entry.box.y, expected.y) ||
        !near(entry.box.width, expected.width) || !near(entry.box.height, expected.height))
      differ(entry.path + ": box differs");
    missing.erase(it);
  }
  for (const auto& [path, label] : missing) differ("no entry for " + path);
  for (const auto& expected : split.expected_problems) {
    bool found = false;
    for (const auto& problem : index.problems) found |= problem.find(expected) != std::string::npos;
    if (!found) differ("no problem mentions '" + expected + "'");
  }
  return differences;
}

std::vector<std::string> fixture_names() {
  return {"imagenet", "imagenet-valfolders", "imagenet-maptext", "imagenet-kaggle", "places365",
          "vggface2", "image_folder",        "image_list"};
}

DatasetFixture write_fixture(const std::string& name, const std::string& directory) {
  if (name == "imagenet") return write_imagenet_fixture(directory, ImagenetVal::kDevkitMat);
  if (name == "imagenet-valfolders")
    return write_imagenet_fixture(directory, ImagenetVal::kFolders);
  if (name == "imagenet-maptext")
    return write_imagenet_fixture(directory, ImagenetVal::kDevkitText);
  if (name == "imagenet-kaggle") return write_imagenet_fixture(directory, ImagenetVal::kKaggle);
  if (name == "places365") return write_places365_fixture(directory);
  if (name == "vggface2") return write_vggface2_fixture(directory);
  if (name == "image_folder") return write_image_folder_fixture(directory);
  if (name == "image_list") return write_image_list_fixture(directory);
  std::string known;
  for (const auto& n : fixture_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown fixture '" + name + "'; known: " + known);
}

}  // namespace fct::testing
