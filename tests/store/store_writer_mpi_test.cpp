// Runs under mpirun (2 and 3 ranks): stores written by all ranks with uneven row counts and write
// rounds, read back value by value; nothing at the final path before commit or after a failure;
// wrong input on one rank throws on every rank; h5py reads the file as is.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "framework/core/error.h"
#include "framework/distributed/communicator.h"
#include "framework/distributed/mpi_c.h"
#include "framework/store/store_reader.h"
#include "framework/store/store_updater.h"
#include "framework/store/store_writer.h"
#include "tests/mpi_shared_dir.h"
#include "tests/test_support.h"

namespace fct::store {
namespace {

using fct::testing::broadcast_text;
using fct::testing::mpi_rank;
using fct::testing::SharedDir;

// The communicator the writers run over, one per process as in fct's commands (a static: its
// destructor runs after MPI_Finalize and then does nothing).
distributed::Communicator& world_comm() {
  static const auto comm = distributed::make_communicator("mpi", {});
  return *comm;
}

int world() {
  int w = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &w);
  return w;
}

bool all_ranks(bool value) {
  int mine = value ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all == 1;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The values of rows [begin, end): every element differs from every other and from its neighbour
// rows and columns, and is exact in float32.
StoreRows expected_rows(const StoreLayout& layout, int64_t begin, int64_t end) {
  const auto row = torch::arange(begin, end, torch::kFloat64).unsqueeze(1);
  const auto column = [](int64_t width) { return torch::arange(width, torch::kFloat64); };
  StoreRows rows;
  rows.embeddings = (row * 1000 + column(layout.embedding_dim) + 0.25).to(torch::kFloat32);
  rows.ids = torch::arange(begin, end, torch::kInt64) * 3 + 100000;
  rows.labels = torch::arange(begin, end, torch::kInt64) * 7 % 10;
  if (layout.side_info_dim > 0) {
    rows.side_info = (-(row * 100 + column(layout.side_info_dim)) - 0.5).to(torch::kFloat32);
  }
  double offset = 0.125;
  for (const auto& [name, width] : layout.extra_columns) {
    if (width == 0) {  // an int64 [N] column
      rows.extra[name] =
          torch::arange(begin, end, torch::kInt64) * 11 - 5 + static_cast<int64_t>(offset);
    } else {
      rows.extra[name] = (row * 10 + column(width) + offset).to(torch::kFloat32);
    }
    offset += 1000000;
  }
  return rows;
}

void expect_rows_equal(const StoreRows& actual, const StoreRows& expected,
                       const std::string& where) {
  const auto same = [&](const torch::Tensor& a, const torch::Tensor& e, const std::string& name) {
    ASSERT_EQ(a.defined(), e.defined()) << where << " " << name;
    if (!e.defined()) return;
    EXPECT_EQ(a.scalar_type(), e.scalar_type()) << where << " " << name;
    EXPECT_EQ(a.sizes().vec(), e.sizes().vec()) << where << " " << name;
    EXPECT_TRUE(torch::equal(a, e)) << where << " " << name;
  };
  same(actual.embeddings, expected.embeddings, "embeddings");
  same(actual.labels, expected.labels, "labels");
  same(actual.ids, expected.ids, "ids");
  same(actual.side_info, expected.side_info, "side_info");
  ASSERT_EQ(actual.extra.size(), expected.extra.size()) << where;
  for (const auto& [name, values] : expected.extra) {
    ASSERT_TRUE(actual.extra.count(name)) << where << " " << name;
    same(actual.extra.at(name), values, name);
  }
}

StoreRows slice(const StoreRows& rows, int64_t begin, int64_t end) {
  StoreRows part;
  part.embeddings = rows.embeddings.slice(0, begin, end);
  part.labels = rows.labels.slice(0, begin, end);
  part.ids = rows.ids.slice(0, begin, end);
  if (rows.side_info.defined()) part.side_info = rows.side_info.slice(0, begin, end);
  for (const auto& [name, values] : rows.extra) part.extra[name] = values.slice(0, begin, end);
  return part;
}

// Writes the whole store from every rank: rank r writes its even share in chunks of 2 + 3r rows
// (so the ranks need different numbers of chunks), rank 0 in reverse order, rank 1 starting one
// round late (an empty round first); ranks out of chunks pass empty rows.
void write_all(StoreWriter& writer, const StoreLayout& layout) {
  const auto [begin, end] = rank_rows(layout.rows, mpi_rank(), world());
  const int64_t chunk = 2 + 3 * mpi_rank();
  std::vector<std::pair<int64_t, int64_t>> chunks;
  if (mpi_rank() == 1) chunks.emplace_back(0, 0);  // an empty round first
  for (int64_t b = begin; b < end; b += chunk) chunks.emplace_back(b, std::min(end, b + chunk));
  if (mpi_rank() == 0) std::reverse(chunks.begin(), chunks.end());
  int64_t mine = static_cast<int64_t>(chunks.size()), rounds = 0;
  MPI_Allreduce(&mine, &rounds, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
  const StoreRows all = expected_rows(layout, 0, layout.rows);
  for (int64_t round = 0; round < rounds; ++round) {
    if (round < mine && chunks[round].second > chunks[round].first) {
      writer.write_rows(chunks[round].first, slice(all, chunks[round].first, chunks[round].second));
    } else {
      writer.write_rows(0, StoreRows{});
    }
  }
}

std::string long_config() {
  std::string config = "# resolved config: unicode é → ✓\n";
  for (int i = 0; i < 300; ++i) {
    config += "key_" + std::to_string(i) + ": value with spaces and 'quotes' " +
              std::to_string(i * i) + "\n";
  }
  return config;
}

Attributes test_attributes() {
  return {{"model", "new_r"},
          {"model_hash", "0123456789abcdef"},
          {"config", long_config()},
          {"git_revision", "abc123-dirty"},
          {"created", "2026-01-02T03:04:05Z"},
          {"dataset", "fashion_mnist"},
          {"split", "test"}};
}

StoreLayout full_layout(int64_t rows) {
  StoreLayout layout;
  layout.rows = rows;
  layout.embedding_dim = 5;
  layout.side_info_dim = 3;
  layout.extra_columns = {{"zeta", 2}, {"target", 4}};
  return layout;
}

void expect_store(const std::string& path, const StoreLayout& layout,
                  const Attributes& attributes) {
  StoreReader reader(path);
  EXPECT_EQ(reader.rows(), layout.rows);
  EXPECT_EQ(reader.embedding_dim(), layout.embedding_dim);
  EXPECT_EQ(reader.side_info_dim(), layout.side_info_dim);
  std::vector<std::string> names = {"embeddings", "labels", "ids"};
  if (layout.side_info_dim > 0) names.push_back("side_info");
  auto extras = layout.extra_columns;
  std::sort(extras.begin(), extras.end());  // the reader lists extra columns by name
  for (const auto& extra : extras) names.push_back(extra.first);
  EXPECT_EQ(reader.column_names(), names);
  EXPECT_EQ(reader.layout().extra_columns, extras);
  for (const auto& name : names) EXPECT_TRUE(reader.has_column(name)) << name;
  EXPECT_FALSE(reader.has_column("nothing"));
  Attributes expected = attributes;
  expected["fct_store_version"] = "1";
  EXPECT_EQ(reader.attributes(), expected);
  EXPECT_EQ(reader.attribute("fct_store_version"), "1");
  expect_rows_equal(reader.read_all(), expected_rows(layout, 0, layout.rows), path + " all");
  if (layout.rows >= 20) {
    expect_rows_equal(reader.read(7, 19), expected_rows(layout, 7, 19), path + " [7, 19)");
  }
  const StoreRows none = reader.read(layout.rows, layout.rows);
  EXPECT_EQ(none.embeddings.sizes().vec(), (std::vector<int64_t>{0, layout.embedding_dim}));
  EXPECT_EQ(none.labels.sizes().vec(), (std::vector<int64_t>{0}));
}

TEST(StoreWriter, RoundTripUnevenRowsAndRounds) {
  SharedDir dir("fct-store-test");
  for (int64_t rows : {int64_t{47}, int64_t{2}}) {
    const std::string path = dir.file("sub/dir/store_" + std::to_string(rows) + ".h5");
    const StoreLayout layout = full_layout(rows);
    {
      StoreWriter writer(world_comm(), path, layout, test_attributes());
      write_all(writer, layout);
      writer.commit();
    }
    expect_store(path, layout, test_attributes());  // every rank reads the same file at once
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

TEST(StoreWriter, RoundTripWithoutSideInfoAndEmptyStore) {
  SharedDir dir("fct-store-test");
  for (int64_t rows : {int64_t{1}, int64_t{0}}) {  // ranks without any row; a store of no rows
    StoreLayout layout;
    layout.rows = rows;
    layout.embedding_dim = 3;
    const std::string path = dir.file("plain_" + std::to_string(rows) + ".h5");
    {
      StoreWriter writer(world_comm(), path, layout, {{"model", "old"}});
      write_all(writer, layout);
      writer.commit();
    }
    expect_store(path, layout, {{"model", "old"}});
    StoreReader reader(path);
    EXPECT_FALSE(reader.has_column("side_info"));
    EXPECT_FALSE(reader.read_all().side_info.defined());
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

TEST(StoreWriter, SplitsLargeBlocksIntoSeveralCollectiveTransfers) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("split.h5");
  const StoreLayout layout = full_layout(61);
  const int64_t previous = detail::set_max_transfer_bytes(52);  // a few rows per transfer
  {
    StoreWriter writer(world_comm(), path, layout, {});
    write_all(writer, layout);
    writer.commit();
  }
  detail::set_max_transfer_bytes(previous);
  expect_store(path, layout, {});
}

TEST(StoreWriter, NothingAtThePathBeforeCommit) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("store.h5");
  const StoreLayout layout = full_layout(23);
  StoreWriter writer(world_comm(), path, layout, test_attributes());
  const std::string temporary = writer.temporary_path();
  EXPECT_EQ(broadcast_text(temporary), temporary) << "the ranks name different temporaries";
  EXPECT_EQ(std::filesystem::path(temporary).parent_path(), std::filesystem::path(dir.path()));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::exists(temporary));
  write_all(writer, layout);
  MPI_Barrier(MPI_COMM_WORLD);
  EXPECT_FALSE(std::filesystem::exists(path));
  writer.commit();
  // Every rank returns after the rename.
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(temporary));
  EXPECT_EQ(dir.files(), std::vector<std::string>{"store.h5"});
  EXPECT_NE(error_of([&] { writer.commit(); }).find("twice"), std::string::npos);
  EXPECT_NE(error_of([&] { writer.write_rows(0, StoreRows{}); }).find("after commit"),
            std::string::npos);
}

TEST(StoreWriter, AbandonedWriterLeavesNothingAndKeepsThePreviousFile) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("store.h5");
  if (mpi_rank() == 0) fct::testing::write_text_file(path, "previous version");
  MPI_Barrier(MPI_COMM_WORLD);
  const StoreLayout layout = full_layout(30);
  std::string temporary;
  bool caught = false;
  try {
    StoreWriter writer(world_comm(), path, layout, test_attributes());
    temporary = writer.temporary_path();
    const auto [begin, end] = rank_rows(layout.rows, mpi_rank(), world());
    writer.write_rows(begin, expected_rows(layout, begin, std::min(end, begin + 2)));
    EXPECT_TRUE(std::filesystem::exists(temporary));
    throw std::runtime_error("injected failure on every rank");
  } catch (const std::runtime_error&) {
    caught = true;
  }
  EXPECT_TRUE(caught);
  ASSERT_FALSE(temporary.empty());
  // The destructor has returned on every rank: the temporary is gone everywhere.
  EXPECT_FALSE(std::filesystem::exists(temporary));
  EXPECT_EQ(fct::testing::read_text_file(path), "previous version");
  EXPECT_EQ(dir.files(), std::vector<std::string>{"store.h5"});
}

// A store that does not fit: a 256 KiB tmpfs (root only; skipped elsewhere) and a 1.4 MB store.
// Every rank gets an error naming the store and "no space left" (before anything is written: Note
// [A full disk]), the previous version stays, no temporary is left.
TEST(StoreWriterFault, AFullDiskFailsOnEveryRankAndKeepsThePreviousStore) {
  SharedDir dir("fct-store-test");
  const std::string small = dir.file("small");
  int mounted = 0;
  if (mpi_rank() == 0) {
    std::filesystem::create_directories(small);
    mounted = ::geteuid() == 0 && ::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=256k") == 0;
  }
  MPI_Bcast(&mounted, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (mounted == 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
  struct Unmount {
    std::string path;
    ~Unmount() {
      MPI_Barrier(MPI_COMM_WORLD);
      if (mpi_rank() == 0) ::umount2(path.c_str(), MNT_DETACH);
    }
  } unmount{small};
  const std::string path = small + "/store.h5";
  if (mpi_rank() == 0) fct::testing::write_text_file(path, "previous version");
  MPI_Barrier(MPI_COMM_WORLD);

  const StoreLayout layout = full_layout(20000);
  std::string message, temporary;
  try {
    StoreWriter writer(world_comm(), path, layout, test_attributes());
    temporary = writer.temporary_path();
    const auto [begin, end] = rank_rows(layout.rows, mpi_rank(), world());
    const int64_t largest = (layout.rows + world() - 1) / world();
    for (int64_t first = 0; first < largest; first += 1000) {
      const int64_t b = std::min(end, begin + first), e = std::min(end, begin + first + 1000);
      writer.write_rows(b, expected_rows(layout, b, e));
    }
    writer.commit();
  } catch (const Error& error) {
    message = error.what();
  }
  EXPECT_TRUE(all_ranks(!message.empty())) << "a 1.4 MB store fitted on a 256 KiB disk";
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("no space left"), std::string::npos) << message;
  EXPECT_EQ(fct::testing::read_text_file(path), "previous version");
  if (!temporary.empty()) EXPECT_FALSE(std::filesystem::exists(temporary));
}

TEST(StoreWriter, WrongRowsOnOneRankThrowOnEveryRank) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("store.h5");
  const StoreLayout layout = full_layout(20);
  const int bad = world() - 1;
  const auto [begin, end] = rank_rows(layout.rows, mpi_rank(), world());
  const StoreRows good = expected_rows(layout, begin, end);
  std::string temporary;
  {
    StoreWriter writer(world_comm(), path, layout, {});
    temporary = writer.temporary_path();
    const auto attempt = [&](const std::function<void(StoreRows&)>& spoil,
                             int64_t bad_first_row = -1) {
      StoreRows rows = good;
      int64_t first_row = begin;
      if (mpi_rank() == bad) {
        spoil(rows);
        if (bad_first_row >= 0) first_row = bad_first_row;
      }
      return error_of([&] { writer.write_rows(first_row, rows); });
    };
    const auto expect_named = [&](const std::string& message, const std::string& column,
                                  const std::string& detail) {
      if (mpi_rank() == bad) {
        EXPECT_NE(message.find(path), std::string::npos) << message;
        EXPECT_NE(message.find("'" + column + "'"), std::string::npos) << message;
        EXPECT_NE(message.find(detail), std::string::npos) << message;
      } else {
        EXPECT_NE(message.find("failed on rank " + std::to_string(bad)), std::string::npos)
            << message;
      }
    };
    expect_named(attempt([](StoreRows& r) { r.embeddings = r.embeddings.to(torch::kFloat64); }),
                 "embeddings", "must be float32 [");
    expect_named(attempt([](StoreRows& r) { r.labels = r.labels.slice(0, 1); }), "labels",
                 "must be int64 [");
    expect_named(attempt([](StoreRows& r) { r.side_info = torch::Tensor(); }), "side_info",
                 "is missing");
    expect_named(attempt([](StoreRows& r) { r.extra.erase("target"); }), "target", "is missing");
    expect_named(attempt([](StoreRows& r) { r.extra["bogus"] = r.embeddings; }), "bogus",
                 "has no column");
    expect_named(attempt([](StoreRows& r) {
                   r.extra["zeta"] = torch::zeros({r.size(), 3}, torch::kFloat32);
                 }),
                 "zeta", "got float32 [");
    const std::string outside =
        attempt([&](StoreRows& r) { r = expected_rows(layout, 18, 21); }, 18);
    if (mpi_rank() == bad) {
      EXPECT_NE(outside.find("rows [18, 21) are outside the store's 20 rows"), std::string::npos)
          << outside;
    }
    // No rank wrote in the failed rounds, and the writer is still usable: a good round commits.
    EXPECT_EQ(attempt([](StoreRows&) {}), "");
    writer.commit();
  }
  EXPECT_FALSE(std::filesystem::exists(temporary));
  expect_store(path, layout, {});
}

TEST(StoreWriter, CommitRefusesMissingOrTwiceWrittenRows) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("store.h5");
  StoreLayout layout;
  layout.rows = 10;
  layout.embedding_dim = 2;
  const auto [begin, end] = rank_rows(layout.rows, mpi_rank(), world());
  for (bool overlap : {false, true}) {
    std::string temporary;
    std::string message;
    {
      StoreWriter writer(world_comm(), path, layout, {});
      temporary = writer.temporary_path();
      // The last rank leaves out its last row, or writes its first row twice.
      const int64_t stop = mpi_rank() == world() - 1 && !overlap ? end - 1 : end;
      writer.write_rows(begin, expected_rows(layout, begin, stop));
      if (overlap && mpi_rank() == world() - 1) {
        writer.write_rows(begin, expected_rows(layout, begin, begin + 1));
      } else if (overlap) {
        writer.write_rows(0, StoreRows{});
      }
      message = error_of([&] { writer.commit(); });
    }
    const std::string first =
        std::to_string(overlap ? rank_rows(10, world() - 1, world()).first : int64_t{9});
    if (overlap) {
      EXPECT_NE(message.find("rows [" + first + ", " + std::to_string(std::stoll(first) + 1) +
                             ") were written more than once"),
                std::string::npos)
          << message;
    } else {
      EXPECT_NE(message.find("rows [9, 10) were never written"), std::string::npos) << message;
    }
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::exists(temporary));
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

TEST(StoreWriter, RanksMustPassTheSameArguments) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("store.h5");
  StoreLayout layout = full_layout(8);
  Attributes attributes = test_attributes();
  if (mpi_rank() == world() - 1) attributes["config"] += "changed: 1\n";
  std::string message =
      error_of([&] { StoreWriter writer(world_comm(), path, layout, attributes); });
  EXPECT_NE(message.find("different values for the attribute(s) 'config'"), std::string::npos)
      << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;

  attributes = test_attributes();
  if (mpi_rank() == 0) attributes.erase("split");
  message = error_of([&] { StoreWriter writer(world_comm(), path, layout, attributes); });
  EXPECT_NE(message.find("different attribute names"), std::string::npos) << message;

  if (mpi_rank() == 0) layout.side_info_dim = 4;
  message = error_of([&] { StoreWriter writer(world_comm(), path, layout, {}); });
  EXPECT_NE(message.find("different layouts"), std::string::npos) << message;

  message = error_of([&] {
    StoreWriter writer(world_comm(), dir.file("rank" + std::to_string(mpi_rank()) + ".h5"),
                       full_layout(8), {});
  });
  EXPECT_NE(message.find("different paths"), std::string::npos) << message;
  EXPECT_TRUE(dir.files().empty());
}

TEST(StoreWriter, RejectsInvalidLayoutsAndAttributes) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("store.h5");
  const auto message_for = [&](StoreLayout layout, Attributes attributes) {
    return error_of([&] { StoreWriter writer(world_comm(), path, layout, attributes); });
  };
  StoreLayout layout = full_layout(4);
  EXPECT_NE(message_for(layout, {{"fct_store_version", "2"}}).find("written by the store itself"),
            std::string::npos);
  layout.embedding_dim = 0;
  EXPECT_NE(message_for(layout, {}).find("embedding_dim must be at least 1"), std::string::npos);
  layout = full_layout(4);
  layout.extra_columns.emplace_back("labels", 2);
  EXPECT_NE(message_for(layout, {}).find("'labels' repeats a column name"), std::string::npos);
  layout = full_layout(4);
  layout.extra_columns.emplace_back("a/b", 2);
  EXPECT_NE(message_for(layout, {}).find("invalid extra column name 'a/b'"), std::string::npos);
  EXPECT_TRUE(dir.files().empty());
}

// h5py (Debian's /usr/bin/python3) reads the store as is: names, shapes, dtypes, str attributes.
TEST(StoreWriter, H5pyReadsTheStore) {
  SharedDir dir("fct-store-test");
  const std::string python = "/usr/bin/python3";
  bool have_h5py = false;
  if (mpi_rank() == 0) {
    have_h5py = std::filesystem::exists(python) &&
                fct::testing::run_command({python, "-c", "import h5py, numpy"}, 60).exit_code == 0;
  }
  if (!all_ranks(broadcast_text(have_h5py ? "1" : "0") == "1")) {
    GTEST_SKIP() << python << " has no h5py";
  }
  const std::string path = dir.file("store.h5");
  const StoreLayout layout = full_layout(47);
  {
    StoreWriter writer(world_comm(), path, layout, test_attributes());
    write_all(writer, layout);
    writer.commit();
  }
  if (mpi_rank() == 0) {
    fct::testing::write_text_file(dir.file("config.txt"), long_config());
    fct::testing::write_text_file(dir.file("check.py"), R"(
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    for name in sorted(f.keys()):
        print("dataset", name, f[name].dtype, f[name].shape)
    for key in sorted(f.attrs.keys()):
        print("attribute", key, type(f.attrs[key]).__name__)
    print("model =", f.attrs["model"])
    print("version =", f.attrs["fct_store_version"])
    config = open(sys.argv[2], encoding="utf-8").read()
    print("config equal:", f.attrs["config"] == config)
    rows = np.arange(47, dtype=np.float64)[:, None]
    embeddings = (rows * 1000 + np.arange(5) + 0.25).astype(np.float32)
    print("embeddings equal:", np.array_equal(f["embeddings"][...], embeddings))
    print("ids equal:", np.array_equal(f["ids"][...], np.arange(47) * 3 + 100000))
)");
    const auto result = fct::testing::run_command(
        {python, dir.file("check.py"), path, dir.file("config.txt")}, 120);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    for (const std::string line :
         {"dataset embeddings float32 (47, 5)", "dataset ids int64 (47,)",
          "dataset labels int64 (47,)", "dataset side_info float32 (47, 3)",
          "dataset target float32 (47, 4)", "dataset zeta float32 (47, 2)", "attribute config str",
          "attribute created str", "attribute fct_store_version str", "attribute model str",
          "model = new_r", "version = 1", "config equal: True", "embeddings equal: True",
          "ids equal: True"}) {
      EXPECT_NE(result.output.find(line + "\n"), std::string::npos)
          << "missing '" << line << "' in:\n"
          << result.output;
    }
  }
}

// Width 0 in the layout: an int64 [N] extra column, written and read back like the others.
TEST(StoreWriter, RoundTripWithInt64ExtraColumns) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("int64.h5");
  StoreLayout layout = full_layout(29);
  layout.extra_columns.emplace_back("position", 0);
  layout.extra_columns.emplace_back("batch", 0);
  {
    StoreWriter writer(world_comm(), path, layout, test_attributes());
    write_all(writer, layout);
    writer.commit();
  }
  expect_store(path, layout, test_attributes());
  StoreReader reader(path);
  const torch::Tensor position = reader.read_column("position", 3, 9);
  EXPECT_EQ(position.scalar_type(), torch::kInt64);
  EXPECT_EQ(position.sizes().vec(), (std::vector<int64_t>{6}));
  // A float tensor for an int64 column is refused on every rank.
  SharedDir other("fct-store-test");
  layout.rows = 4;
  const std::string message = error_of([&] {
    StoreWriter writer(world_comm(), other.file("bad.h5"), layout, test_attributes());
    StoreRows rows = expected_rows(layout, 0, 4);
    rows.extra["position"] = torch::zeros({4, 1});
    writer.write_rows(0, rows);
  });
  EXPECT_NE(message.find("column 'position' must be int64 [4], got float32 [4, 1]"),
            std::string::npos)
      << message;
  layout.extra_columns.emplace_back("negative", -1);
  EXPECT_NE(error_of([&] {
              StoreWriter writer(world_comm(), other.file("bad.h5"), layout, {});
            }).find("'negative' must have a width of at least 1 (float32) or 0 (int64 [N])"),
            std::string::npos);
}

// Byte ranges [offset, offset + size) of every dataset's raw data in an HDF5 file.
std::vector<std::pair<uint64_t, uint64_t>> raw_data_ranges(const std::string& path) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  EXPECT_GE(file, 0);
  for (const char* name :
       {"embeddings", "labels", "ids", "side_info", "zeta", "target", "position"}) {
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) continue;
    const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
    const haddr_t offset = H5Dget_offset(dataset);
    EXPECT_NE(offset, HADDR_UNDEF) << name;
    ranges.emplace_back(offset, offset + H5Dget_storage_size(dataset));
    H5Dclose(dataset);
  }
  H5Fclose(file);
  return ranges;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// StoreUpdater (rank 0 alone) writes scattered rows of float and int64 columns in place: exactly
// those rows change, the store reopens with them, and no byte outside the datasets' raw data (the
// HDF5 metadata) differs — Note [In-place store updates].
TEST(StoreUpdater, ScatteredRowsChangeOnlyTheirRawData) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("update.h5");
  StoreLayout layout = full_layout(53);
  layout.extra_columns.emplace_back("position", 0);
  {
    StoreWriter writer(world_comm(), path, layout, test_attributes());
    write_all(writer, layout);
    writer.commit();
  }
  if (mpi_rank() == 0) {
    const std::string before = file_bytes(path);
    StoreRows expected = expected_rows(layout, 0, layout.rows);
    const torch::Tensor rows = torch::tensor({17, 3, 4, 5, 52, 0, 31}, torch::kInt64);
    const torch::Tensor embeddings = torch::randn({7, layout.embedding_dim});
    const torch::Tensor positions = torch::tensor({-1, -2, -3}, torch::kInt64);
    const torch::Tensor position_rows = torch::tensor({40, 2, 41}, torch::kInt64);
    {
      StoreUpdater updater(path);
      EXPECT_EQ(updater.layout().rows, 53);
      updater.write_rows("embeddings", rows, embeddings);
      updater.flush();
      updater.write_rows("position", position_rows, positions);
      updater.write_rows("labels", torch::tensor({7}, torch::kInt64),
                         torch::tensor({99}, torch::kInt64));
      updater.close();
    }
    expected.embeddings.index_copy_(0, rows, embeddings);
    expected.extra["position"].index_copy_(0, position_rows, positions);
    expected.labels[7] = 99;
    expect_rows_equal(StoreReader(path).read_all(), expected, "after the update");

    const std::string after = file_bytes(path);
    ASSERT_EQ(after.size(), before.size());
    const auto ranges = raw_data_ranges(path);
    int64_t outside = 0, changed_outside = 0;
    for (std::size_t i = 0; i < after.size(); ++i) {
      const bool raw = std::any_of(ranges.begin(), ranges.end(),
                                   [i](const auto& r) { return i >= r.first && i < r.second; });
      if (raw) continue;
      ++outside;
      if (after[i] != before[i]) ++changed_outside;
    }
    EXPECT_GT(outside, 0);
    EXPECT_EQ(changed_outside, 0) << "HDF5 metadata bytes changed";
    EXPECT_NE(after, before);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

TEST(StoreUpdater, WrongInputWritesNothing) {
  SharedDir dir("fct-store-test");
  const std::string path = dir.file("refuse.h5");
  StoreLayout layout = full_layout(12);
  layout.extra_columns.emplace_back("position", 0);
  {
    StoreWriter writer(world_comm(), path, layout, test_attributes());
    write_all(writer, layout);
    writer.commit();
  }
  if (mpi_rank() == 0) {
    const std::string before = file_bytes(path);
    {
      StoreUpdater updater(path);
      const auto rows = torch::tensor({1, 2}, torch::kInt64);
      const auto message = [&](const std::string& column, const torch::Tensor& r,
                               const torch::Tensor& v) {
        return error_of([&] { updater.write_rows(column, r, v); });
      };
      EXPECT_NE(message("nothing", rows, torch::zeros({2, 5})).find("no such column"),
                std::string::npos);
      EXPECT_NE(message("embeddings", rows, torch::zeros({2, 4})).find("must be float32 [2, 5]"),
                std::string::npos);
      EXPECT_NE(message("position", rows, torch::zeros({2})).find("must be int64 [2]"),
                std::string::npos);
      EXPECT_NE(message("embeddings", torch::tensor({1, 12}, torch::kInt64), torch::zeros({2, 5}))
                    .find("row 12 is outside the store's rows [0, 12)"),
                std::string::npos);
      EXPECT_NE(message("embeddings", torch::tensor({3, 3}, torch::kInt64), torch::zeros({2, 5}))
                    .find("row 3 is given twice"),
                std::string::npos);
      EXPECT_NE(message("ids", torch::tensor({1.0, 2.0}), torch::zeros({2}, torch::kInt64))
                    .find("rows must be int64 [n]"),
                std::string::npos);
      updater.close();
      EXPECT_NE(error_of([&] { updater.flush(); }).find("after close()"), std::string::npos);
    }
    EXPECT_EQ(file_bytes(path), before);

    // A store whose columns are chunked cannot be updated without touching metadata: refused.
    const std::string chunked = dir.file("chunked.h5");
    const hid_t file = H5Fcreate(chunked.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t creation = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[2] = {2, 2};
    H5Pset_chunk(creation, 2, chunk);
    const hsize_t dims[2] = {4, 2};
    const hid_t space2 = H5Screate_simple(2, dims, nullptr);
    const hid_t space1 = H5Screate_simple(1, dims, nullptr);
    const std::vector<float> floats(8, 1.0f);
    const std::vector<int64_t> ints(4, 1);
    hid_t d =
        H5Dcreate2(file, "embeddings", H5T_IEEE_F32LE, space2, H5P_DEFAULT, creation, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, floats.data());
    H5Dclose(d);
    for (const char* name : {"labels", "ids"}) {
      d = H5Dcreate2(file, name, H5T_STD_I64LE, space1, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints.data());
      H5Dclose(d);
    }
    const hid_t text = H5Tcopy(H5T_C_S1);
    H5Tset_size(text, H5T_VARIABLE);
    const hid_t scalar = H5Screate(H5S_SCALAR);
    const hid_t attribute =
        H5Acreate2(file, "fct_store_version", text, scalar, H5P_DEFAULT, H5P_DEFAULT);
    const char* version = "1";
    H5Awrite(attribute, text, &version);
    H5Aclose(attribute);
    H5Sclose(scalar);
    H5Tclose(text);
    H5Sclose(space1);
    H5Sclose(space2);
    H5Pclose(creation);
    H5Fclose(file);
    const std::string message = error_of([&] { StoreUpdater updater(chunked); });
    EXPECT_NE(message.find("dataset 'embeddings' is not stored contiguously"), std::string::npos)
        << message;
    EXPECT_NE(error_of([&] { StoreUpdater updater(dir.file("missing.h5")); }).find("no such file"),
              std::string::npos);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace fct::store
