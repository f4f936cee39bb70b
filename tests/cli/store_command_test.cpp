// `fct store import` and `fct eval` on foreign embeddings files written by h5py (/usr/bin/python3;
// skipped with a message without h5py), under mpirun: an imported file evaluates exactly as the
// same embeddings in an fct store (written by h5py too), and as the file read directly; bad files
// are refused naming the file and the dataset, with no output left; commands that need a store
// say how to import one. Also runs docs/stores-in-python.md: its Python and its `fct` lines.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "framework/store/store_reader.h"
#include "tests/cli/cli_test_support.h"
#include "tests/store/h5_fixture.h"

namespace fct::testing {
namespace {

#define EXPECT_CONTAINS(text, part)                          \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "'" << (part) << "' not in: " << (text)

const std::string kPython = "/usr/bin/python3";

bool have_h5py() {
  static const bool have = std::filesystem::exists(kPython) &&
                           run_command({kPython, "-c", "import h5py, numpy"}, 60).exit_code == 0;
  return have;
}

#define SKIP_WITHOUT_H5PY() \
  if (!have_h5py()) GTEST_SKIP() << kPython << " has no h5py and numpy (apt install python3-h5py)"

// Runs `code` with the system Python in `dir`; fails the test when it fails.
std::string run_python(const ScratchDir& dir, const std::string& name, const std::string& code) {
  write_text_file(dir.file(name), code);
  const auto result = run_command({kPython, dir.file(name)}, 120, dir.path());
  EXPECT_EQ(result.exit_code, 0) << name << ":\n" << code << "\n" << result.output;
  return result.output;
}

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_text_file(path));
}

std::vector<std::string> directory_files(const std::string& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// 10 classes of clustered float64 vectors, no ids: as a numpy user writes them; and the same
// numbers as an fct store written by h5py (float32, int64, ids = the rows, the version attribute).
const char* const kWriteFiles = R"(
import h5py, numpy as np
rng = np.random.default_rng(7)
labels = rng.integers(0, 10, size=120).astype(np.int32)
embeddings = rng.normal(size=(10, 8))[labels] + 0.8 * rng.normal(size=(120, 8))
with h5py.File("foreign.h5", "w") as f:
    f["embeddings"] = embeddings
    f["labels"] = labels
with h5py.File("as_store.h5", "w") as f:
    f["embeddings"] = embeddings.astype(np.float32)
    f["labels"] = labels.astype(np.int64)
    f["ids"] = np.arange(120, dtype=np.int64)
    f.attrs["fct_store_version"] = "1"
    f.attrs["model"] = "written by h5py"
)";

TEST(StoreCommand, AnImportedH5pyFileEvaluatesAsTheSameEmbeddingsInAStore) {
  SKIP_WITHOUT_H5PY();
  ScratchDir dir("fct-store-command");
  run_python(dir, "write.py", kWriteFiles);
  auto result = run_fct(2,
                        {"store", "import", dir.file("foreign.h5"), "--out",
                         dir.file("imported.h5"), "--model-name", "py-model", "--chunk-rows", "7"},
                        120);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "store import: 120 rows x 8 from " + dir.file("foreign.h5"));
  EXPECT_CONTAINS(result.output,
                  "not in the file (recorded as imported_missing): ids, model_hash, config, "
                  "dataset, split; ids are the row indices");
  const store::StoreReader imported(dir.file("imported.h5"));
  const store::StoreReader as_store(dir.file("as_store.h5"));
  const auto rows = imported.read_all();
  const auto expected = as_store.read_all();
  EXPECT_TRUE(rows.embeddings.equal(expected.embeddings));
  EXPECT_TRUE(rows.labels.equal(expected.labels));
  EXPECT_TRUE(rows.ids.equal(expected.ids));
  EXPECT_EQ(imported.attribute("model"), "py-model");
  EXPECT_EQ(imported.attribute("model_kind"), "imported");
  EXPECT_EQ(imported.attribute("imported_from"), dir.file("foreign.h5"));
  EXPECT_EQ(imported.attribute("imported_columns"),
            "embeddings=embeddings float64 [120, 8], labels=labels int32 [120], ids=(row index)");
  EXPECT_EQ(imported.attribute("imported_missing"), "ids, model_hash, config, dataset, split");

  // The same figures from the imported store, the h5py store, the foreign file read directly and
  // a mix (same rank count: the same BLAS blocks, so the same bits).
  const std::vector<std::pair<std::string, std::string>> pairs = {{"imported.h5", "imported.h5"},
                                                                  {"as_store.h5", "as_store.h5"},
                                                                  {"foreign.h5", "foreign.h5"},
                                                                  {"foreign.h5", "imported.h5"}};
  std::vector<nlohmann::json> figures;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const std::string json = dir.file("eval" + std::to_string(i) + ".json");
    result = run_fct(2,
                     {"eval", "--query", dir.file(pairs[i].first), "--gallery",
                      dir.file(pairs[i].second), "--json", json},
                     120);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    figures.push_back(read_json(json));
    const bool foreign = pairs[i].first == "foreign.h5";
    EXPECT_EQ(result.output.find("not an fct store: evaluating") != std::string::npos, foreign)
        << result.output;
    if (foreign) {
      EXPECT_CONTAINS(result.output, dir.file("foreign.h5") +
                                         ": not an fct store: evaluating its datasets "
                                         "'embeddings' and 'labels' as they are, with no "
                                         "provenance");
      EXPECT_CONTAINS(result.output, "without ids: row i is item i");
      EXPECT_EQ(figures.back()["foreign_files"][0], dir.file("foreign.h5"));
    }
  }
  EXPECT_EQ(figures[0]["queries"], 120);
  for (std::size_t i = 1; i < figures.size(); ++i) {
    for (const char* key : {"queries", "top1", "top5", "mAP"}) {
      EXPECT_EQ(figures[i][key], figures[0][key]) << key << " of pair " << i;
    }
  }
}

TEST(StoreCommand, NamedDatasetsAndIdsAreImported) {
  SKIP_WITHOUT_H5PY();
  ScratchDir dir("fct-store-command");
  run_python(dir, "write.py", R"(
import h5py, numpy as np
with h5py.File("named.h5", "w") as f:
    f["data/feats"] = np.arange(40, dtype=np.float32).reshape(10, 4)
    f["data/y"] = (np.arange(10) % 3).astype(np.uint8).reshape(10, 1)
    f["item_id"] = np.arange(10) * 7 + 1000
)");
  const auto result =
      run_fct(3,
              {"store", "import", dir.file("named.h5"), "--out", dir.file("sub/named_store.h5"),
               "--embeddings", "data/feats", "--labels", "data/y", "--ids", "item_id", "--dataset",
               "mine", "--split", "test", "--model-name", "m"},
              120);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "imported_missing): model_hash, config\n");
  const store::StoreReader reader(dir.file("sub/named_store.h5"));
  const auto rows = reader.read_all();
  EXPECT_TRUE(rows.ids.equal(torch::arange(10, torch::kInt64) * 7 + 1000));
  EXPECT_TRUE(rows.labels.equal(torch::arange(10, torch::kInt64).remainder(3)));
  EXPECT_TRUE(rows.embeddings.equal(torch::arange(40, torch::kFloat32).reshape({10, 4})));
  EXPECT_EQ(reader.attribute("dataset"), "mine");
  EXPECT_EQ(reader.attribute("split"), "test");
  EXPECT_EQ(reader.attribute("imported_columns"),
            "embeddings=data/feats float32 [10, 4], labels=data/y uint8 [10, 1], ids=item_id "
            "int64 [10]");
}

TEST(StoreCommand, BadFilesAreRefusedNamingFileAndDatasetWithNoOutputLeft) {
  SKIP_WITHOUT_H5PY();
  ScratchDir dir("fct-store-command");
  run_python(dir, "write.py", R"(
import h5py, numpy as np
e = np.arange(400, dtype=np.float64).reshape(100, 4)
def write(name, **datasets):
    with h5py.File(name, "w") as f:
        for key, value in datasets.items():
            f[key] = value
write("plain.h5", embeddings=e, labels=np.arange(100))
write("other.h5", feats=e.astype(np.float32), y=np.arange(100))
write("mismatch.h5", embeddings=e, labels=np.arange(99))
nan = e.copy()
nan[77, 2] = np.nan
write("nan.h5", embeddings=nan, labels=np.arange(100))
write("strings.h5", embeddings=np.full((100, 4), b"ab"), labels=np.arange(100))
write("float_labels.h5", embeddings=e, labels=np.arange(100) / 2)
write("vector.h5", embeddings=e[:, 0], labels=np.arange(100))
)");
  write_text_file(dir.file("previous.h5"), "previous\n");
  write_text_file(dir.file("text.h5"), "not HDF5\n");
  const auto inputs = directory_files(dir.path());
  const auto import_error = [&](const std::string& file, std::vector<std::string> extra = {},
                                int ranks = 2) {
    std::vector<std::string> args = {"store", "import", dir.file(file), "--out",
                                     dir.file("previous.h5")};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto result = run_fct(ranks, args, 120);
    EXPECT_NE(result.exit_code, 0) << result.output;
    return result.output;
  };
  EXPECT_CONTAINS(import_error("mismatch.h5"),
                  dir.file("mismatch.h5") +
                      ": dataset 'labels' (the labels) has 99 rows, dataset "
                      "'embeddings' (the embeddings) has 100");
  EXPECT_CONTAINS(
      import_error("nan.h5", {"--chunk-rows", "10"}, 3),
      dir.file("nan.h5") + ": dataset 'embeddings' (the embeddings), row 77, column 2: NaN");
  EXPECT_CONTAINS(import_error("strings.h5"),
                  dir.file("strings.h5") +
                      ": dataset 'embeddings' (the embeddings) is string [100, 4]: embeddings are "
                      "numbers");
  EXPECT_CONTAINS(import_error("float_labels.h5"),
                  "dataset 'labels' (the labels) is float64 [100]: labels are integers");
  EXPECT_CONTAINS(import_error("vector.h5"), "embeddings are a matrix [N, d]");
  EXPECT_CONTAINS(import_error("other.h5"),
                  dir.file("other.h5") +
                      ": no dataset 'embeddings' for the embeddings; the file has datasets "
                      "'feats' float32 [100, 4], 'y' int64 [100]");
  EXPECT_CONTAINS(import_error("other.h5", {"--embeddings", "feats", "--labels", "z"}),
                  "no dataset 'z' for the labels");
  EXPECT_CONTAINS(import_error("text.h5"), dir.file("text.h5") + ": not an HDF5 file");
  EXPECT_CONTAINS(import_error("previous.h5"), "is the input file");
  // Nothing written, nothing left behind, the file at --out untouched.
  EXPECT_EQ(directory_files(dir.path()), inputs);
  EXPECT_EQ(read_text_file(dir.file("previous.h5")), "previous\n");

  // A store needs no import.
  ASSERT_EQ(
      run_fct(1, {"store", "import", dir.file("plain.h5"), "--out", dir.file("plain_store.h5")},
              120)
          .exit_code,
      0);
  EXPECT_CONTAINS(import_error("plain_store.h5"), "is an fct store already");

  // fct eval reads a NaN as import does.
  auto result =
      run_fct(2, {"eval", "--query", dir.file("plain.h5"), "--gallery", dir.file("nan.h5")}, 120);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, dir.file("nan.h5") +
                                     ": dataset 'embeddings' (the embeddings), "
                                     "row 77, column 2: NaN");
}

TEST(StoreCommand, CommandsThatNeedAStoreSayHowToImport) {
  SKIP_WITHOUT_H5PY();
  ScratchDir dir("fct-store-command");
  run_python(dir, "write.py", R"(
import h5py, numpy as np
with h5py.File("plain.h5", "w") as f:
    f["embeddings"] = np.ones((20, 3))
    f["labels"] = np.arange(20)
with h5py.File("other.h5", "w") as f:
    f["feats"] = np.ones((20, 3), dtype=np.float32)
    f["meta/y"] = np.arange(20)
)");
  auto result =
      run_fct(1, {"backfill", "plan", "--store", dir.file("plain.h5"), "--order", "random"}, 120);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, dir.file("plain.h5") +
                                     ": not an fct store (no 'fct_store_version' attribute); it "
                                     "has datasets 'embeddings' float64 [20, 3] and 'labels' "
                                     "int64 [20]: run `fct store import " +
                                     dir.file("plain.h5") + " --out STORE.h5` to make it a store");
  result =
      run_fct(2, {"eval", "--query", dir.file("other.h5"), "--gallery", dir.file("other.h5")}, 120);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output,
                  dir.file("other.h5") +
                      ": not an fct store (no 'fct_store_version' attribute); it has datasets "
                      "'feats' float32 [20, 3], 'meta/y' int64 [20]: name the embeddings [N, d] "
                      "and the labels [N] among them with `fct store import " +
                      dir.file("other.h5") + " --out STORE.h5 --embeddings NAME --labels NAME`");
}

// The ```python and ```sh blocks of a Markdown file, in order.
std::vector<std::pair<std::string, std::string>> code_blocks(const std::string& markdown) {
  std::vector<std::pair<std::string, std::string>> blocks;
  std::istringstream in(markdown);
  std::string line, kind, text;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line.rfind("```", 0) == 0 && line.size() > 3) {
      inside = true;
      kind = line.substr(3);
      text.clear();
    } else if (inside && line == "```") {
      inside = false;
      if (kind == "python" || kind == "sh") blocks.emplace_back(kind, text);
    } else if (inside) {
      text += line + "\n";
    }
  }
  return blocks;
}

// The stores the page reads, as fct lays them out: a study's old gallery (with ψ) and a FastFill
// gallery planned by `fct backfill plan --order sigma`.
void write_docs_stores(const ScratchDir& dir) {
  constexpr int64_t kRows = 60;
  std::filesystem::create_directories(dir.file("runs/fashion_mnist_fct/stores"));
  const auto embeddings = torch::randn({kRows, 16}, torch::kFloat64);
  const auto labels = torch::arange(kRows).remainder(10);
  const std::map<std::string, std::string> old_attributes = {
      {"fct_store_version", "1"},
      {"model", "fashion_mnist_fct/old"},
      {"model_kind", "embedding"},
      {"model_hash", "ec3d89f63d62e2e2"},
      {"config", "name: old\n"},
      {"dataset", "fashion_mnist"},
      {"split", "test"},
      {"git_revision", "0123abc"},
      {"created", "2026-12-07T06:30:54Z"},
      {"side_info_model", "fashion_mnist_fct/side_info"},
      {"side_info_model_hash", "991d1abdb4a6b4a3"}};
  write_h5(dir.file("runs/fashion_mnist_fct/stores/old.h5"),
           {{"embeddings", H5T_IEEE_F32LE, embeddings},
            {"labels", H5T_STD_I64LE, labels},
            {"ids", H5T_STD_I64LE, torch::arange(kRows)},
            {"side_info", H5T_IEEE_F32LE, torch::randn({kRows, 8}, torch::kFloat64)}},
           old_attributes);
  auto gallery_attributes = old_attributes;
  gallery_attributes["model_kind"] = "transformation";
  gallery_attributes["model_hash"] = "00000000000000ab";
  gallery_attributes["target_model_hash"] = "5ef74300d737878e";
  write_h5(dir.file("gallery.h5"),
           {{"embeddings", H5T_IEEE_F32LE, embeddings},
            {"labels", H5T_STD_I64LE, labels},
            {"ids", H5T_STD_I64LE, torch::arange(kRows)},
            {"sigma", H5T_IEEE_F32LE, torch::randperm(kRows).to(torch::kFloat64).unsqueeze(1)}},
           gallery_attributes);
  const auto plan =
      run_fct(1, {"backfill", "plan", "--store", dir.file("gallery.h5"), "--order", "sigma"}, 120);
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
}

TEST(StoreCommand, DocsSnippetsRun) {
  SKIP_WITHOUT_H5PY();
  ScratchDir dir("fct-store-docs");
  write_docs_stores(dir);
  const auto blocks = code_blocks(read_text_file(source_directory() + "/docs/stores-in-python.md"));
  ASSERT_GE(blocks.size(), 5u);
  // The Python blocks follow on from each other (one session); `fct` lines run where they stand.
  std::string session, output;
  int scripts = 0;
  const auto flush = [&] {
    if (session.empty()) return;
    output += run_python(dir, "snippet" + std::to_string(scripts++) + ".py", session);
    session.clear();
  };
  for (const auto& [kind, text] : blocks) {
    if (kind == "python") {
      session += text;
      continue;
    }
    flush();
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      line = line.substr(0, line.find('#'));
      std::istringstream words(line);
      std::vector<std::string> args{std::istream_iterator<std::string>(words), {}};
      if (args.empty()) continue;
      ASSERT_EQ(args[0], "fct") << line;
      args.erase(args.begin());
      const auto result = run_fct(1, args, 120, dir.path());
      ASSERT_EQ(result.exit_code, 0) << line << "\n" << result.output;
      output += result.output;
    }
  }
  flush();
  for (const std::string part :
       {"(60, 16) (60,) (60,) (60, 8)", "fashion_mnist_fct/old embedding", "fashion_mnist test",
        "sigma 0/60 re-embedded by 5ef74300d737878e", "largest sigma first: True", "top-1",
        "my-model imported", "embeddings=embeddings float64 [500, 32]", "model_hash, config"}) {
    EXPECT_CONTAINS(output, part);
  }
}

}  // namespace
}  // namespace fct::testing
