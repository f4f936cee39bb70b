// A small synthetic run directory of a study, as `fct run` leaves one, for the HTML report's
// tests: results.json (with a case name that needs escaping), provenance.json, config.yaml,
// graph.json and graph.svg, and a run cache beside it with two model stages linked into the run —
// `old` (a supervised training, taken from the cache) and `fct` (h, with val_mse, built by this
// run) — each with metrics.csv, node.json and summary.json.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "framework/report/results_table.h"
#include "tests/test_support.h"

namespace fct::report::testing {

// The run started at 06:25:33; old was published before, fct after.
inline constexpr const char* kRunCreated = "2026-12-07T06:25:33Z";
inline constexpr const char* kEvilCase = "new/<b>\"x\"&y";

inline std::vector<ResultRow> fixture_rows() {
  return {
      {"old/old", "old model on both sides (before the update)", 74.21000000000001,
       92.46000000000001, 42.41839313364288, 0.0, 10000},
      {"new/fct+si", "FCT with side-information: gallery h(old, psi)", 84.475, 97.125,
       77.33333333333333, 3.005, 10000},
      {"AUC fct+si random", "mean of the backfilling curve", 86.1049, 97.5, 79.995, 2.5, 10000},
      {kEvilCase, "a <case> & a \"quote\"", 1.0 / 3.0, 2.0 / 3.0, 99.999, 0.004999, 7},
  };
}

inline void write_file(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  fct::testing::write_text_file(path, text);
}

inline const char* supervised_metrics() {
  return "epoch,step,lr,train_loss,train_accuracy,val_accuracy,images_per_s,epoch_seconds,"
         "allreduce_wait_share\n"
         "1,46,0.18,0.32,0.92,0.96,1425.0,8.8,0.06\n"
         "2,92,0.07,0.22,0.98,0.99,1847.8,6.9,0.05\n"
         "3,138,3.7e-05,0.21,0.99,0.993,1853.1,6.9,0.07\n";
}

inline const char* transformation_metrics() {
  return "epoch,step,lr,train_loss,train_accuracy,val_mse,images_per_s,epoch_seconds,"
         "allreduce_wait_share\n"
         "1,117,0.00098,0.0858,0.0,0.0423,23276.5,2.67,0.08\n"
         "2,234,0.00083,0.0364,0.0,0.0318,24969.4,2.50,0.06\n";
}

inline std::string node_json(const std::string& kind, const std::string& key,
                             const std::string& label, const std::string& published,
                             double seconds) {
  return "{\"built_for\": [{\"id\": \"" + kind + "\", \"run_directory\": \"runs/earlier\"}], " +
         "\"key\": \"" + key + "\", \"kind\": \"" + kind + "\", \"label\": \"" + label +
         "\", \"published\": \"" + published + "\", \"seconds\": " + std::to_string(seconds) + "}";
}

// The run directory `run` and its cache `cache` (both created).
inline void write_study_run(const std::string& run, const std::string& cache) {
  namespace fs = std::filesystem;
  fs::create_directories(run);
  write_file(run + "/results.json", results_json(fixture_rows()).dump(2));
  write_file(run + "/provenance.json",
             std::string("{\"command_line\": [\"build/fct\", \"run\", \"demo.yaml\"], ") +
                 "\"created\": \"" + kRunCreated +
                 "\", \"git_revision\": \"0123456789abcdef0123\", \"world_size\": 2, "
                 "\"versions\": {\"libtorch\": \"1.13.0\", \"hdf5\": \"1.10.8\"}}");
  write_file(run + "/config.yaml", "name: demo\nnote: \"<script>alert(1)</script>\"\n");
  write_file(run + "/graph.svg",
             "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"40\">"
             "<text x=\"5\" y=\"20\">graph</text></svg>\n");

  const std::string old_dir = cache + "/stages/old/aaaaaaaaaaaaaaaa";
  write_file(old_dir + "/metrics.csv", supervised_metrics());
  write_file(old_dir + "/node.json",
             node_json("old", "aaaaaaaaaaaaaaaa", "old model", "2026-12-06T10:00:00Z", 22.8));
  write_file(old_dir + "/summary.json", "{\"inputs\": {}}");
  const std::string h_dir = cache + "/stages/transformation/bbbbbbbbbbbbbbbb";
  write_file(h_dir + "/metrics.csv", transformation_metrics());
  write_file(h_dir + "/node.json", node_json("transformation", "bbbbbbbbbbbbbbbb",
                                             "transformation h", "2026-12-07T06:32:00Z", 12.5));
  write_file(h_dir + "/summary.json",
             "{\"inputs\": {\"train\": {\"skipped_files\": 2, \"skipped_reads\": 6, "
             "\"truncated_files\": 1, \"truncated_reads\": 3, "
             "\"skipped\": [\"images/<bad>.jpg\"]}}}");
  fs::create_directory_symlink(fs::absolute(old_dir), run + "/old");
  fs::create_directory_symlink(fs::absolute(h_dir), run + "/fct");

  write_file(run + "/graph.json",
             "{\"artifacts_dir\": \"" + fs::absolute(cache).string() + "\", \"nodes\": [" +
                 "{\"cached\": true, \"inputs\": [], \"key\": \"aaaaaaaaaaaaaaaa\", \"kind\": "
                 "\"old\", \"label\": \"old model\", \"references\": [{\"id\": \"old\", "
                 "\"run_directory\": \"runs/demo\"}]}, "
                 "{\"cached\": true, \"inputs\": [\"aaaaaaaaaaaaaaaa\"], \"key\": "
                 "\"bbbbbbbbbbbbbbbb\", \"kind\": \"transformation\", \"label\": \"transformation "
                 "h\", \"references\": [{\"id\": \"fct\", \"run_directory\": \"runs/demo\"}]}, "
                 "{\"cached\": false, \"inputs\": [\"bbbbbbbbbbbbbbbb\"], \"key\": "
                 "\"cccccccccccccccc\", \"kind\": \"table\", \"label\": \"results table\", "
                 "\"references\": [{\"id\": \"table\", \"run_directory\": \"runs/demo\"}]}]}");
}

}  // namespace fct::report::testing
