// The FCT study end to end under mpirun on a tiny configuration: `fct run` writes every case's
// figures and its HTML report (checked in headless Chromium when installed), and skips finished
// stages when run again; the stores it leaves are read by h5py with the documented layout; `fct
// eval` reproduces the study's figures; `fct transform` refuses a gallery of another model; `fct
// embed` writes a store; the on-the-fly feed of h runs too.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "framework/core/report_text.h"
#include "tests/cli/cli_test_support.h"
#include "tests/headless_chromium.h"

namespace fct::testing {
namespace {

const std::vector<std::string> kCases = {"old/old", "new/new", "new/old",   "bct/old",
                                         "bct/bct", "new/fct", "new/fct+si"};

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(read_text_file(path));
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(StudyCommand, TinyStudyEndToEnd) {
  ScratchDir dir("fct-study");
  const std::string run = dir.file("run");
  write_text_file(dir.file("study.yaml"), tiny_study_yaml(run));

  // 1. The whole study on 2 ranks: the table on stdout, the results files with every case.
  const auto first = run_fct(2, {"run", dir.file("study.yaml"), "--no-progress"}, 600);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  for (const auto& c : kCases) EXPECT_NE(first.output.find(c + " "), std::string::npos) << c;
  const auto results = read_json(run + "/results.json");
  ASSERT_EQ(results.size(), kCases.size());
  for (std::size_t i = 0; i < kCases.size(); ++i) {
    EXPECT_EQ(results[i]["case"], kCases[i]);
    for (const char* key : {"top1", "top5", "mAP", "negative_flips"}) {
      ASSERT_TRUE(results[i].contains(key)) << kCases[i] << " " << key;
      const double value = results[i][key].get<double>();
      EXPECT_GE(value, 0.0);
      EXPECT_LE(value, 100.0);
    }
    EXPECT_LE(results[i]["top1"].get<double>(), results[i]["top5"].get<double>());
  }
  EXPECT_EQ(results[0]["negative_flips"].get<double>(), 0.0);  // old/old against itself
  const std::string csv = read_text_file(run + "/results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 8) << csv;
  EXPECT_NE(read_text_file(run + "/results.md").find("| new/fct+si |"), std::string::npos);
  for (const char* file : {"config.yaml", "provenance.json", "old/model.pt", "old/config.yaml",
                           "old/provenance.json", "side_info/model.pt", "bct/model.pt",
                           "features/train.h5", "fct/model.pt", "fct_si/model.pt"})
    EXPECT_TRUE(std::filesystem::exists(run + "/" + file)) << file;
  // The HTML report: every figure of results.json in its cell, the model stages' curves, every
  // stage built by this run; in a browser, nothing fails to load.
  EXPECT_NE(first.output.find("report: " + run + "/report.html"), std::string::npos)
      << first.output;
  const std::string report = read_text_file(run + "/report.html");
  for (const auto& row : results)
    for (const char* key : {"top1", "top5", "mAP", "negative_flips"})
      EXPECT_NE(report.find("data-case=\"" + row["case"].get<std::string>() + "\" data-metric=\"" +
                            key + "\">" + fct::fixed2(row[key].get<double>()) + "</td>"),
                std::string::npos)
          << row["case"] << " " << key;
  for (const char* stage : {"old", "side_info", "new", "bct", "fct", "fct_si"})
    EXPECT_NE(report.find("id=\"curves-" + std::string(stage) + "-"), std::string::npos) << stage;
  EXPECT_EQ(count(report, "built by this run</td>"), 14u) << "every stage";
  if (!find_chromium().empty()) {
    const auto loaded = load_in_chromium(run + "/report.html", dir.path());
    ASSERT_EQ(loaded.exit_code, 0) << loaded.log;
    const auto cells = result_cells(loaded.dom);
    for (const auto& row : results)
      EXPECT_EQ(cells.at({row["case"].get<std::string>(), "mAP"}),
                fct::fixed2(row["mAP"].get<double>()));
    const auto problems = page_problems(loaded.log, run + "/report.html");
    EXPECT_TRUE(problems.empty()) << problems.front();
  }

  // 2. Run again, with settings that change only how it runs: every stage (4 models, 3 stores,
  //    the feature cache, 2 h and their galleries, the evaluation, the table) is skipped and the
  //    figures are the same.
  const auto second = run_fct(2,
                              {"run", dir.file("study.yaml"), "--no-progress", "log_every=3",
                               "data.loader_threads=1", "dist.timeout_s=200"},
                              600);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(count(second.output, "skipped"), 14u) << second.output;
  EXPECT_EQ(read_json(run + "/results.json"), results);
  EXPECT_EQ(count(read_text_file(run + "/report.html"), "from the cache (built for"), 14u);

  // 3. h5py reads the stores as they are, with the documented names, shapes and types.
  const std::string script =
      "import h5py, sys\n"
      "for name in ['old', 'new', 'fct_si']:\n"
      "    f = h5py.File(sys.argv[1] + '/stores/' + name + '.h5', 'r')\n"
      "    print(name, sorted(f.keys()), f['embeddings'].shape, f['embeddings'].dtype,\n"
      "          f['labels'].dtype, f['ids'].dtype,\n"
      "          f['side_info'].shape if 'side_info' in f else None,\n"
      "          f.attrs['model'], len(f.attrs['model_hash']), 'config' in f.attrs,\n"
      "          'git_revision' in f.attrs, 'created' in f.attrs)\n";
  write_text_file(dir.file("check.py"), script);
  const auto h5py = run_command({"/usr/bin/python3", dir.file("check.py"), run}, 60);
  if (h5py.output.find("No module named") == std::string::npos) {
    ASSERT_EQ(h5py.exit_code, 0) << h5py.output;
    EXPECT_NE(h5py.output.find("old ['embeddings', 'ids', 'labels', 'side_info'] (600, 16) float32 "
                               "int64 int64 (600, 8) tiny_study/old 16 True True True"),
              std::string::npos)
        << h5py.output;
    EXPECT_NE(h5py.output.find("new ['embeddings', 'ids', 'labels'] (600, 16) float32 int64 int64 "
                               "None tiny_study/new 16"),
              std::string::npos)
        << h5py.output;
    EXPECT_NE(h5py.output.find("fct_si ['embeddings', 'ids', 'labels', 'side_info'] (600, 16) "
                               "float32 int64 int64 (600, 8) tiny_study/fct_si 16"),
              std::string::npos)
        << h5py.output;
  }

  // 4. `fct eval` on the stores reproduces the study's row for new/fct+si.
  const auto eval =
      run_fct(2,
              {"eval", "--query", run + "/stores/new.h5", "--gallery", run + "/stores/fct_si.h5",
               "--reference-query", run + "/stores/old.h5", "--reference-gallery",
               run + "/stores/old.h5", "--json", dir.file("eval.json")},
              120);
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  const auto figures = read_json(dir.file("eval.json"));
  for (const char* key : {"top1", "top5", "mAP", "negative_flips"})
    EXPECT_DOUBLE_EQ(figures[key].get<double>(), results[6][key].get<double>()) << key;

  // 5. `fct transform` refuses a gallery embedded by another model than h's φ_old, and writes
  //    nothing; with the right gallery it writes the upgraded store.
  const auto refused = run_fct(2,
                               {"transform", "--model", run + "/fct_si/model.pt", "--in",
                                run + "/stores/new.h5", "--out", dir.file("upgraded.h5")},
                               120);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.output.find("was trained for old model"), std::string::npos) << refused.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("upgraded.h5")));
  const auto upgraded =
      run_fct(1,
              {"transform", "--model", run + "/fct_si/model.pt", "--in", run + "/stores/old.h5",
               "--out", dir.file("upgraded.h5"), "--chunk-rows", "100", "--no-progress"},
              120);
  ASSERT_EQ(upgraded.exit_code, 0) << upgraded.output;
  const auto same = run_fct(1,
                            {"eval", "--query", run + "/stores/new.h5", "--gallery",
                             dir.file("upgraded.h5"), "--json", dir.file("same.json")},
                            120);
  ASSERT_EQ(same.exit_code, 0) << same.output;
  EXPECT_NEAR(read_json(dir.file("same.json"))["mAP"].get<double>(),
              results[6]["mAP"].get<double>(),
              1e-4);  // 1 rank here, 2 in the study: BLAS may round differently

  // 6. `fct embed` of a split with the old model and ψ.
  const auto embedded = run_fct(
      2,
      {"embed", "--model", run + "/old/model.pt", "--side-info", run + "/side_info/model.pt",
       "--limit", "50", "--out", dir.file("embedded.h5"), "--no-progress"},
      120);
  ASSERT_EQ(embedded.exit_code, 0) << embedded.output;
  EXPECT_TRUE(std::filesystem::exists(dir.file("embedded.h5")));

  // 7. The on-the-fly feed: only h and its galleries are redone, the rest is skipped.
  const auto fly = run_fct(2,
                           {"run", dir.file("study.yaml"),
                            "transformation.transformation.feed=on_the_fly", "--no-progress"},
                           600);
  ASSERT_EQ(fly.exit_code, 0) << fly.output;
  EXPECT_EQ(count(fly.output, "skipped"), 7u) << fly.output;
  EXPECT_NE(fly.output.find("fed on_the_fly"), std::string::npos) << fly.output;
  EXPECT_EQ(read_json(run + "/results.json").size(), kCases.size());
}

// FastFill in a study: its two h (σ head) beside FCT's, σ stored in their galleries, and the
// backfilling curves of every gallery in every order that applies, whose end points are the
// study's own new/<h> and new/new rows and whose AUC rows are the curves' means.
TEST(StudyCommand, TinyStudyWithFastFillAndBackfillingCurves) {
  ScratchDir dir("fct-fastfill-study");
  const std::string run = dir.file("run");
  write_text_file(
      dir.file("study.yaml"),
      tiny_study_yaml(run) +
          "backfilling: {fastfill: true, steps: 5, orders: [random, sigma, distance]}\n");
  const auto first = run_fct(2, {"run", dir.file("study.yaml"), "--no-progress"}, 600);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto results = read_json(run + "/results.json");
  std::map<std::string, nlohmann::json> rows;
  std::vector<std::string> names;
  for (const auto& row : results) {
    rows[row["case"].get<std::string>()] = row;
    names.push_back(row["case"].get<std::string>());
  }
  // FCT's h has no σ: no sigma curve for it; FastFill's h has all three.
  const std::vector<std::string> expected_auc = {
      "AUC fct random",          "AUC fct distance",       "AUC fct+si random",
      "AUC fct+si distance",     "AUC fastfill random",    "AUC fastfill sigma",
      "AUC fastfill distance",   "AUC fastfill+si random", "AUC fastfill+si sigma",
      "AUC fastfill+si distance"};
  std::vector<std::string> expected = kCases;
  expected.push_back("new/fastfill");
  expected.push_back("new/fastfill+si");
  expected.insert(expected.end(), expected_auc.begin(), expected_auc.end());
  EXPECT_EQ(names, expected);
  for (const auto& name : expected_auc)
    EXPECT_NE(first.output.find(name + " "), std::string::npos) << name;

  const auto curves = read_json(run + "/backfill_curves.json");
  ASSERT_EQ(curves.size(), expected_auc.size());
  for (const auto& curve : curves) {
    const std::string name = curve["curve"].get<std::string>();
    SCOPED_TRACE(name);
    const auto top1 = curve["top1"].get<std::vector<double>>();
    const auto mAP = curve["mAP"].get<std::vector<double>>();
    ASSERT_EQ(top1.size(), 6u);  // steps 5: β = 0, 0.2, ..., 1
    EXPECT_EQ(curve["backfilled"].get<std::vector<int64_t>>(),
              (std::vector<int64_t>{0, 120, 240, 360, 480, 600}));
    // β = 0 is the gallery h made; β = 1 the new model's.
    const auto& start = rows.at("new/" + curve["variant"].get<std::string>());
    EXPECT_DOUBLE_EQ(top1.front(), start["top1"].get<double>());
    EXPECT_DOUBLE_EQ(mAP.front(), start["mAP"].get<double>());
    EXPECT_DOUBLE_EQ(top1.back(), rows.at("new/new")["top1"].get<double>());
    EXPECT_DOUBLE_EQ(mAP.back(), rows.at("new/new")["mAP"].get<double>());
    double sum = 0;
    for (double v : top1) sum += v;
    EXPECT_NEAR(rows.at("AUC " + name)["top1"].get<double>(), sum / 6.0, 1e-9);
  }
  EXPECT_NE(read_text_file(run + "/backfill_curves.svg").find("<polyline"), std::string::npos);
  const std::string curves_csv = read_text_file(run + "/backfill_curves.csv");
  EXPECT_EQ(std::count(curves_csv.begin(), curves_csv.end(), '\n'), 1 + 10 * 6) << curves_csv;

  // σ is stored beside each item of FastFill's galleries only.
  const std::string script =
      "import h5py, sys\n"
      "for name in ['fct_si', 'fastfill', 'fastfill_si']:\n"
      "    f = h5py.File(sys.argv[1] + '/stores/' + name + '.h5', 'r')\n"
      "    print(name, 'sigma' in f, f['sigma'].shape if 'sigma' in f else None)\n";
  write_text_file(dir.file("check.py"), script);
  const auto h5py = run_command({"/usr/bin/python3", dir.file("check.py"), run}, 60);
  if (h5py.output.find("No module named") == std::string::npos) {
    ASSERT_EQ(h5py.exit_code, 0) << h5py.output;
    EXPECT_NE(h5py.output.find("fct_si False None"), std::string::npos) << h5py.output;
    EXPECT_NE(h5py.output.find("fastfill True (600, 1)"), std::string::npos) << h5py.output;
    EXPECT_NE(h5py.output.find("fastfill_si True (600, 1)"), std::string::npos) << h5py.output;
  }

  // The study's galleries live in the run cache, shared by every run that uses them: planning a
  // partial backfill in place is refused (it would change them for everybody).
  const auto in_place = run_fct(
      1, {"backfill", "plan", "--store", run + "/stores/fastfill_si.h5", "--order", "sigma"}, 120);
  EXPECT_NE(in_place.exit_code, 0);
  EXPECT_NE(in_place.output.find("is an artifact of the run cache"), std::string::npos)
      << in_place.output;

  // Run again: nothing trains, the figures and curves are the same.
  const auto second = run_fct(2, {"run", dir.file("study.yaml"), "--no-progress"}, 600);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(count(second.output, "skipped"), 19u) << second.output;
  EXPECT_EQ(read_json(run + "/results.json"), results);
  EXPECT_EQ(read_json(run + "/backfill_curves.json"), curves);
}

// Two `fct run` of the same study started at the same moment (two mpirun jobs) share the run
// cache: each node is built by one of them while the other waits on its lock and reuses it, and
// both end with the same results.
TEST(StudyCommand, TwoRunsAtOnceBuildEachNodeOnce) {
  ScratchDir dir("fct-study-twice");
  const std::string run = dir.file("run");
  write_text_file(dir.file("study.yaml"), tiny_study_yaml(run));
  const auto launch = [&] {
    return run_fct(1, {"run", dir.file("study.yaml"), "--no-progress", "dist.threads_per_rank=1"},
                   900);
  };
  auto first = std::async(std::launch::async, launch);
  auto second = std::async(std::launch::async, launch);
  const auto a = first.get();
  const auto b = second.get();
  ASSERT_EQ(a.exit_code, 0) << a.output;
  ASSERT_EQ(b.exit_code, 0) << b.output;
  // "stage 3/14 new model: 12.3 s" is a build; a reused node says "done before".
  const std::regex built("stage [0-9]+/[0-9]+ ([A-Za-z_ +()-]+): [0-9.]+ s");
  std::map<std::string, int> builds;
  for (const auto* output : {&a.output, &b.output})
    for (auto it = std::sregex_iterator(output->begin(), output->end(), built);
         it != std::sregex_iterator(); ++it)
      ++builds[(*it)[1]];
  for (const std::string stage :
       {"old model", "side-info model (SimCLR)", "new model", "bct model", "store old", "store new",
        "store bct", "feature cache", "transformation h with side-info", "backfill fct_si",
        "evaluation"})
    EXPECT_EQ(builds[stage], 1) << stage << "\n" << a.output << "\n" << b.output;
  const auto results = read_json(run + "/results.json");
  EXPECT_EQ(results.size(), kCases.size());
  // Each printed the same table.
  const auto table = [](const std::string& output) { return output.substr(output.find("case ")); };
  EXPECT_EQ(table(a.output), table(b.output));
}

}  // namespace
}  // namespace fct::testing
