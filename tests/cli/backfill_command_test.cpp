// `fct backfill plan` / `fct backfill apply` end to end under mpirun, on a tiny new model and an
// upgraded gallery built here from the new model's own store (embeddings moved off φ_new, as an
// h would leave them, plus a σ column): budgets re-embed exactly the next items of the plan, with
// what `fct embed` computes (up to float rounding: another batch size sums in another order); a
// wrong model, dataset or an unplanned store is refused; apply killed with SIGKILL at random
// moments always leaves a readable store whose marked rows hold their new embedding, and reruns
// complete it, bit for bit as an uninterrupted run, every item re-embedded exactly once;
// `fct eval` reports the mix.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "framework/eval/backfill_curve.h"
#include "framework/store/store_reader.h"
#include "framework/study/store_evaluation.h"
#include "tests/cli/cli_test_support.h"

namespace fct::testing {
namespace {

constexpr int64_t kItems = 160;  // gallery size: test samples 0..159 of Fashion-MNIST

#define EXPECT_CONTAINS(text, part)                          \
  EXPECT_NE(std::string(text).find(part), std::string::npos) \
      << "'" << (part) << "' not in: " << (text)

// Writes a store with the serial HDF5 API as StoreWriter lays it out (contiguous datasets with
// early allocation, variable-length UTF-8 string attributes): the test process has no MPI.
void write_store(const std::string& path, const std::map<std::string, torch::Tensor>& columns,
                 const std::map<std::string, std::string>& attributes) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0) << path;
  const hid_t creation = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_layout(creation, H5D_CONTIGUOUS);
  H5Pset_alloc_time(creation, H5D_ALLOC_TIME_EARLY);
  for (const auto& [name, values] : columns) {
    const auto t = values.contiguous();
    std::vector<hsize_t> dims(t.sizes().begin(), t.sizes().end());
    const hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const bool is_float = t.scalar_type() == torch::kFloat32;
    const hid_t dataset = H5Dcreate2(file, name.c_str(), is_float ? H5T_IEEE_F32LE : H5T_STD_I64LE,
                                     space, H5P_DEFAULT, creation, H5P_DEFAULT);
    ASSERT_GE(dataset, 0) << name;
    ASSERT_GE(H5Dwrite(dataset, is_float ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64, H5S_ALL, H5S_ALL,
                       H5P_DEFAULT, t.data_ptr()),
              0);
    H5Dclose(dataset);
    H5Sclose(space);
  }
  H5Pclose(creation);
  const hid_t text = H5Tcopy(H5T_C_S1);
  H5Tset_size(text, H5T_VARIABLE);
  H5Tset_cset(text, H5T_CSET_UTF8);
  const hid_t scalar = H5Screate(H5S_SCALAR);
  for (const auto& [key, value] : attributes) {
    const hid_t attribute = H5Acreate2(file, key.c_str(), text, scalar, H5P_DEFAULT, H5P_DEFAULT);
    const char* data = value.c_str();
    ASSERT_GE(H5Awrite(attribute, text, &data), 0);
    H5Aclose(attribute);
  }
  H5Sclose(scalar);
  H5Tclose(text);
  H5Fclose(file);
}

// The upgraded gallery an h would have written for the new model's store `new_path`: the same
// ids, labels and attributes, embeddings moved off φ_new, h's own model hash, the new model's hash
// as target_model_hash, and a σ column.
void write_upgraded_store(const std::string& new_path, const std::string& path) {
  const store::StoreReader updated(new_path);
  const auto rows = updated.read_all();
  torch::manual_seed(5);
  std::map<std::string, std::string> attributes = updated.attributes();
  attributes["model"] = "h_side_info";
  attributes["model_hash"] = "00000000000000ab";
  attributes["model_kind"] = "transformation";
  attributes["target_model_hash"] = updated.attribute("model_hash");
  write_store(path,
              {{"embeddings", rows.embeddings * 0.5f + 0.25f},
               {"labels", rows.labels},
               {"ids", rows.ids},
               {"sigma", torch::rand({updated.rows(), 1})}},
              attributes);
}

// One tiny new model, its `fct embed` store of the first kItems test samples (the reference
// φ_new) and an upgraded gallery of the same samples; made once for the whole suite.
class BackfillCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir("fct-backfill");
    std::string yaml = tiny_experiment_yaml(dir_->file("new"));
    yaml.replace(yaml.find("epochs: 2"), 9, "epochs: 1");
    write_text_file(dir_->file("new.yaml"), yaml);
    auto result = run_fct(2, {"train", dir_->file("new.yaml"), "--no-progress"}, 600);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    result = run_fct(2,
                     {"embed", "--model", model(), "--limit", std::to_string(kItems), "--out",
                      reference(), "--no-progress"},
                     300);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    write_upgraded_store(reference(), dir_->file("upgraded.h5"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(dir_, nullptr);
    ASSERT_TRUE(std::filesystem::exists(dir_->file("upgraded.h5"))) << "suite set-up failed";
  }

  static std::string model() { return dir_->file("new/model.pt"); }
  static std::string reference() { return dir_->file("reference.h5"); }
  static torch::Tensor new_embeddings() {
    return store::StoreReader(reference()).read_column("embeddings", 0, kItems);
  }
  // A fresh copy of the upgraded gallery for one test.
  static std::string fresh_store(const std::string& name) {
    const std::string path = dir_->file(name);
    std::filesystem::copy_file(dir_->file("upgraded.h5"), path,
                               std::filesystem::copy_options::overwrite_existing);
    return path;
  }
  static CommandResult plan(int ranks, const std::string& store, const std::string& order,
                            std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"backfill", "plan", "--store", store, "--order", order};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_fct(ranks, args, 300);
  }
  static std::vector<std::string> apply_args(const std::string& store,
                                             std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"backfill", "apply", "--store",      store,
                                     "--model",  model(), "--no-progress"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  static ScratchDir* dir_;
};

ScratchDir* BackfillCommand::dir_ = nullptr;

// φ_new of the same image computed in another batch: equal up to float rounding (oneDNN's
// convolutions sum in an order that depends on the batch's size), never near h's stand-in.
bool close_to(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::allclose(a, b, /*rtol=*/1e-4, /*atol=*/1e-5);
}

// The store's state, checked against the new embeddings `expected` (exactly, or up to rounding
// when `exact` is false) and the upgraded gallery it started as: every row marked embedded_by = 1
// holds its new embedding; every other row holds h's value or (the batch in flight at a kill) the
// new one; ids, labels and σ never change.
struct Checked {
  int64_t done = 0;
  torch::Tensor position, embedded_by, batch;
};

Checked check_store(const std::string& path, const torch::Tensor& expected, bool exact,
                    const std::string& upgraded) {
  Checked c;
  const store::StoreReader store(path);  // throws if a kill left an unreadable file
  const auto rows = store.read_all();
  const auto original = store::StoreReader(upgraded).read_all();
  EXPECT_TRUE(torch::equal(rows.ids, original.ids));
  EXPECT_TRUE(torch::equal(rows.labels, original.labels));
  EXPECT_TRUE(torch::equal(rows.extra.at("sigma"), original.extra.at("sigma")));
  c.position = rows.extra.at("backfill_position");
  c.embedded_by = rows.extra.at("embedded_by");
  c.batch = rows.extra.at("backfill_batch");
  for (int64_t r = 0; r < store.rows(); ++r) {
    const int64_t by = c.embedded_by[r].item<int64_t>();
    EXPECT_TRUE(by == 0 || by == 1) << "row " << r;
    const bool is_new = exact ? torch::equal(rows.embeddings[r], expected[r])
                              : close_to(rows.embeddings[r], expected[r]);
    if (by == 1) {
      ++c.done;
      EXPECT_TRUE(is_new) << "row " << r << " is marked re-embedded but holds another value";
      EXPECT_GE(c.batch[r].item<int64_t>(), 0) << "row " << r;
    } else {
      EXPECT_TRUE(is_new || torch::equal(rows.embeddings[r], original.embeddings[r]))
          << "row " << r << " holds neither h's nor the new embedding";
    }
  }
  return c;
}

// Runs `argv` in a session of its own and SIGKILLs the whole session (mpirun and every rank at
// once) `delay_ms` after `trigger` first appears in its output, or at `deadline_s`. Returns the
// exit status (-1: killed) and the output.
std::pair<int, std::string> run_and_kill(const std::vector<std::string>& argv,
                                         const std::string& trigger, int delay_ms,
                                         double deadline_s) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  std::string output;
  const auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> kill_at;
  int status = 0;
  bool exited = false, killed = false;
  char buffer[4096];
  while (!exited) {
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) output.append(buffer, n);
    const auto now = std::chrono::steady_clock::now();
    if (!kill_at && output.find(trigger) != std::string::npos) {
      kill_at = now + std::chrono::milliseconds(delay_ms);
    }
    if ((kill_at && now >= *kill_at) ||
        std::chrono::duration<double>(now - start).count() > deadline_s) {
      EXPECT_TRUE(kill_session(pid));  // the child called setsid(): its pid is the session id
      killed = true;
      ::waitpid(pid, &status, 0);
      exited = true;
    } else if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  while (::read(fds[0], buffer, sizeof buffer) > 0) {
  }
  ::close(fds[0]);
  // No rank outlives the run, so the next run finds the file unlocked.
  EXPECT_TRUE(kill_session(pid));
  const int code = killed ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return {code, output};
}

std::vector<std::string> mpirun_args(int ranks, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {mpiexec(),         "-np",       std::to_string(ranks),
                                   "--oversubscribe", "--bind-to", "none"};
  if (::geteuid() == 0) argv.push_back("--allow-run-as-root");
  argv.push_back(fct_binary());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

TEST_F(BackfillCommand, PlanWritesAPermutationAndTheProvenanceColumns) {
  const std::string store = fresh_store("plan.h5");
  auto result = plan(2, store, "sigma");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "backfill plan: 160 items");
  const store::StoreReader reader(store);
  EXPECT_EQ(reader.attribute("backfill_order"), "sigma");
  EXPECT_EQ(reader.attribute("embedded_by_0"), "00000000000000ab");
  EXPECT_EQ(reader.attribute("embedded_by_1"), reader.attribute("target_model_hash"));
  EXPECT_FALSE(reader.attribute("backfill_planned").empty());
  const auto position = reader.read_column("backfill_position", 0, kItems);
  const auto sigma = reader.read_column("sigma", 0, kItems).reshape({-1});
  // Descending σ: the item at position p has σ no smaller than the one at p + 1.
  const auto order = torch::argsort(position);
  EXPECT_TRUE(torch::equal(std::get<0>(torch::sort(position)), torch::arange(kItems)));
  const auto sorted_sigma = sigma.index_select(0, order);
  EXPECT_TRUE(
      (sorted_sigma.slice(0, 0, kItems - 1) >= sorted_sigma.slice(0, 1)).all().item<bool>());
  EXPECT_TRUE(torch::equal(reader.read_column("embedded_by", 0, kItems),
                           torch::zeros({kItems}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(reader.read_column("backfill_batch", 0, kItems),
                           torch::full({kItems}, int64_t{-1})));
  // The rest of the store is unchanged.
  const auto before = store::StoreReader(dir_->file("upgraded.h5")).read_all();
  EXPECT_TRUE(torch::equal(reader.read_column("embeddings", 0, kItems), before.embeddings));
  EXPECT_EQ(reader.attribute("model_hash"), "00000000000000ab");

  // Random orders depend on the seed; re-planning before any apply replaces the plan.
  result = plan(1, store, "random", {"--seed", "7"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto seven = store::StoreReader(store).read_column("backfill_position", 0, kItems);
  EXPECT_FALSE(torch::equal(seven, position));
  result = plan(2, store, "random", {"--seed", "8"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto eight = store::StoreReader(store).read_column("backfill_position", 0, kItems);
  EXPECT_FALSE(torch::equal(seven, eight));
  EXPECT_EQ(store::StoreReader(store).attribute("backfill_seed"), "8");

  // distance: the oracle needs the new model's store; then the farthest item comes first.
  result = plan(2, store, "distance");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "--new-store");
  result = plan(2, store, "distance", {"--new-store", reference()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const store::StoreReader planned(store);
  const auto distance = (store::StoreReader(reference()).read_column("embeddings", 0, kItems) -
                         planned.read_column("embeddings", 0, kItems))
                            .pow(2)
                            .sum(1);
  const auto by_position =
      distance.index_select(0, torch::argsort(planned.read_column("backfill_position", 0, kItems)));
  EXPECT_TRUE((by_position.slice(0, 0, kItems - 1) >= by_position.slice(0, 1)).all().item<bool>());
}

TEST_F(BackfillCommand, PlanRefusesWhatItCannotOrder) {
  // A store that is not an upgraded one.
  auto result = plan(1, reference(), "random");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "target_model_hash");
  const std::string store = fresh_store("plan-refusals.h5");
  result = plan(1, store, "nonsense");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "--order");
  // distance against a store of another model.
  const std::string other = dir_->file("other-model.h5");
  {
    const store::StoreReader r(reference());
    auto attributes = r.attributes();
    attributes["model_hash"] = "1111111111111111";
    const auto rows = r.read_all();
    write_store(other,
                {{"embeddings", rows.embeddings}, {"labels", rows.labels}, {"ids", rows.ids}},
                attributes);
  }
  result = plan(1, store, "distance", {"--new-store", other});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "1111111111111111");
  // Once items are re-embedded, a new plan is refused and the store is left as it was.
  ASSERT_EQ(plan(1, store, "random").exit_code, 0);
  result = run_fct(1, apply_args(store, {"--budget", "5"}), 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto before = store::StoreReader(store).read_all();
  result = plan(2, store, "sigma");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "5 of 160 items are re-embedded");
  const auto after = store::StoreReader(store).read_all();
  EXPECT_TRUE(
      torch::equal(before.extra.at("backfill_position"), after.extra.at("backfill_position")));
  EXPECT_TRUE(torch::equal(before.embeddings, after.embeddings));
}

TEST_F(BackfillCommand, BudgetsReembedExactlyTheNextItemsOfThePlan) {
  const std::string store = fresh_store("apply.h5");
  ASSERT_EQ(plan(2, store, "random", {"--seed", "3"}).exit_code, 0);
  // 37 items in batches of 8 on 2 ranks, then 50 on 1 rank, then the rest on 2 ranks.
  auto result = run_fct(2, apply_args(store, {"--budget", "37", "--batch-size", "8"}), 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "re-embedded 37 items in this run");
  EXPECT_CONTAINS(result.output, "37/160 re-embedded");
  EXPECT_CONTAINS(result.output, "123 remaining");
  auto c = check_store(store, new_embeddings(), false, dir_->file("upgraded.h5"));
  EXPECT_EQ(c.done, 37);
  // Exactly the first 37 positions, in batches 0..4 of 8 consecutive positions.
  EXPECT_TRUE(torch::equal(c.embedded_by, c.position.lt(37).to(torch::kInt64)));
  EXPECT_TRUE(
      torch::equal(c.batch, torch::where(c.position.lt(37), torch::floor_divide(c.position, 8),
                                         torch::full_like(c.batch, -1))));

  result = run_fct(1, apply_args(store, {"--budget", "50", "--batch-size", "16"}), 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "87/160 re-embedded");
  c = check_store(store, new_embeddings(), false, dir_->file("upgraded.h5"));
  EXPECT_EQ(c.done, 87);
  EXPECT_TRUE(torch::equal(c.embedded_by, c.position.lt(87).to(torch::kInt64)));
  // The second run's batches continue the numbering: 5, 6, 7, 8 for positions 37.. in 16s.
  const auto second = c.position.ge(37) & c.position.lt(87);
  EXPECT_TRUE(torch::equal(c.batch.masked_select(second),
                           (torch::floor_divide(c.position - 37, 16) + 5).masked_select(second)));

  result = run_fct(2, apply_args(store), 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "160/160 re-embedded");
  EXPECT_CONTAINS(result.output, " 0 remaining");
  c = check_store(store, new_embeddings(), false, dir_->file("upgraded.h5"));
  EXPECT_EQ(c.done, kItems);
  // The whole store is now `fct embed` of the new model (up to float rounding).
  EXPECT_TRUE(
      close_to(store::StoreReader(store).read_column("embeddings", 0, kItems), new_embeddings()));
  // Nothing left: a further run re-embeds nothing.
  result = run_fct(2, apply_args(store), 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "re-embedded 0 items in this run");
}

TEST_F(BackfillCommand, ApplyRefusesAnotherModelDatasetOrAnUnplannedStore) {
  const std::string store = fresh_store("refusals.h5");
  auto result = run_fct(1, apply_args(store), 300);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "has no backfilling plan");
  ASSERT_EQ(plan(1, store, "random").exit_code, 0);

  // Another model: same architecture, different file (one more epoch).
  std::string yaml = tiny_experiment_yaml(dir_->file("other"));
  yaml.replace(yaml.find("epochs: 2"), 9, "epochs: 1");
  yaml.replace(yaml.find("seed: 3"), 7, "seed: 4");
  write_text_file(dir_->file("other.yaml"), yaml);
  result = run_fct(1, {"train", dir_->file("other.yaml"), "--no-progress"}, 600);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::vector<std::string> args = apply_args(store);
  args[5] = dir_->file("other/model.pt");  // --model's value
  result = run_fct(2, args, 300);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "target_model_hash");
  EXPECT_CONTAINS(result.output, "another space");

  result = run_fct(1, apply_args(store, {"--dataset", "imagenet"}), 300);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "--dataset imagenet");
  // The old spelling still works, with a note.
  result = run_fct(1, apply_args(store, {"--data", "imagenet"}), 300);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "--data is deprecated; use --dataset");
  EXPECT_CONTAINS(result.output, "--dataset imagenet");

  // Ids the dataset does not have.
  const std::string bad_ids = dir_->file("bad-ids.h5");
  {
    const store::StoreReader r(store);
    auto rows = r.read_all();
    rows.ids[3] = 987654321;
    std::map<std::string, torch::Tensor> columns = {
        {"embeddings", rows.embeddings}, {"labels", rows.labels}, {"ids", rows.ids}};
    for (auto& [name, t] : rows.extra) columns[name] = t;
    write_store(bad_ids, columns, r.attributes());
  }
  result = run_fct(1, apply_args(bad_ids), 300);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "sample id 987654321 (row 3)");
  EXPECT_EQ(store::StoreReader(bad_ids).read_column("embedded_by", 0, kItems).sum().item<int64_t>(),
            0);
}

// SIGKILL at random moments of `fct backfill apply` (mpirun and both ranks at once), then reruns
// to completion: after every kill the store opens and every row marked done holds its new
// embedding; at the end every item is re-embedded once, in batches that follow the plan, and the
// store is bit for bit the store of an uninterrupted run with the same batch size and ranks.
TEST_F(BackfillCommand, KilledApplyResumesWithoutLossOrDuplication) {
  constexpr int64_t kBatch = 2;
  const std::vector<std::string> batch = {"--batch-size", std::to_string(kBatch)};
  const std::string uninterrupted = fresh_store("uninterrupted.h5");
  ASSERT_EQ(plan(2, uninterrupted, "sigma").exit_code, 0);
  auto result = run_fct(2, apply_args(uninterrupted, batch), 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto expected = store::StoreReader(uninterrupted).read_all();
  EXPECT_TRUE(close_to(expected.embeddings, new_embeddings()));

  const std::string store = fresh_store("killed.h5");
  ASSERT_EQ(plan(2, store, "sigma").exit_code, 0);
  std::mt19937 rng(std::random_device{}());
  int kills_mid_run = 0;
  int64_t previous_done = 0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    // Even attempts: shortly after the first batch; odd ones: at any moment from the start.
    const bool after_batch = attempt % 2 == 0;
    const int delay_ms = std::uniform_int_distribution<int>(0, after_batch ? 40 : 2500)(rng);
    const auto [code, output] = run_and_kill(mpirun_args(2, apply_args(store, batch)),
                                             after_batch ? "backfill batch" : "", delay_ms, 300);
    const auto c = check_store(store, expected.embeddings, true, dir_->file("upgraded.h5"));
    EXPECT_GE(c.done, previous_done) << output;  // a kill never loses a finished batch
    previous_done = c.done;
    // Done items are always a prefix of the plan.
    EXPECT_TRUE(torch::equal(c.embedded_by, c.position.lt(c.done).to(torch::kInt64))) << output;
    if (code == -1 && c.done < kItems) ++kills_mid_run;
    if (code != -1) {
      ASSERT_EQ(code, 0) << output;
      break;
    }
  }
  std::cout << "[          ] " << kills_mid_run << " kills left the backfill unfinished\n";
  result = run_fct(2, apply_args(store, batch), 300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "160/160 re-embedded");
  const auto c = check_store(store, expected.embeddings, true, dir_->file("upgraded.h5"));
  EXPECT_EQ(c.done, kItems);
  // Batch b is plan positions [2b, 2b + 2), whatever the kills (a batch lost to a kill is done
  // again under its own number).
  EXPECT_TRUE(torch::equal(c.batch, torch::floor_divide(c.position, kBatch)));
  const auto rows = store::StoreReader(store).read_all();
  EXPECT_TRUE(torch::equal(rows.embeddings, expected.embeddings));
  for (const char* column : {"backfill_position", "embedded_by", "backfill_batch", "sigma"}) {
    EXPECT_TRUE(torch::equal(rows.extra.at(column), expected.extra.at(column))) << column;
  }
}

TEST_F(BackfillCommand, EvalReportsTheMixAndRefusesQueriesOfAnotherModel) {
  const std::string store = fresh_store("eval.h5");
  ASSERT_EQ(plan(1, store, "random").exit_code, 0);
  // Before any apply the new model's queries are allowed (nothing is in its space yet).
  auto result = run_fct(
      2, {"eval", "--query", reference(), "--gallery", store, "--json", dir_->file("eval0.json")},
      300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "gallery: 0/160 items from the new model, 160 from h");
  ASSERT_EQ(run_fct(2, apply_args(store, {"--budget", "40"}), 300).exit_code, 0);
  result = run_fct(
      2, {"eval", "--query", reference(), "--gallery", store, "--json", dir_->file("eval.json")},
      300);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_CONTAINS(result.output, "gallery: 40/160 items from the new model, 120 from h");
  const auto json = nlohmann::json::parse(read_text_file(dir_->file("eval.json")));
  EXPECT_EQ(json["gallery_backfilled"], 40);
  EXPECT_EQ(json["gallery_rows"], 160);
  // The mixed gallery evaluates to the backfilling curve's point at 40/160 = ¼ in the plan's
  // order: what `fct eval` reports is the protocol's figure for that stage of the backfill.
  const auto order = std::get<1>(torch::sort(
      store::StoreReader(store).read_column("backfill_position", 0, kItems).to(torch::kFloat64)));
  eval::BackfillCurveOptions curve_options;
  curve_options.steps = 4;
  const auto curve = eval::evaluate_backfill_curve(
      study::load_embedding_set(reference()), study::load_embedding_set(dir_->file("upgraded.h5")),
      study::load_embedding_set(reference()), order, curve_options);
  ASSERT_EQ(curve.backfilled[1], 40);
  EXPECT_DOUBLE_EQ(json["top1"].get<double>(), curve.top1[1]);
  EXPECT_DOUBLE_EQ(json["mAP"].get<double>(), curve.mAP[1]);
  // Queries of h's gallery (another model) against a partly re-embedded gallery: refused.
  result = run_fct(2, {"eval", "--query", dir_->file("upgraded.h5"), "--gallery", store}, 300);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_CONTAINS(result.output, "40 items of the gallery");
  EXPECT_CONTAINS(result.output, "different spaces");
}

}  // namespace
}  // namespace fct::testing
