#include "framework/data/index_cache.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "framework/core/atomic_file.h"
#include "framework/core/error.h"
#include "framework/core/hash.h"

namespace fct::data {
namespace fs = std::filesystem;
namespace {

constexpr const char* kCacheFormat = "fct-index-cache-1";

// A file's (size, mtime) or a directory's mtime, as JSON; null when it does not exist.
nlohmann::json stamp(const std::string& path, bool is_file) {
  std::error_code error;
  const auto mtime = fs::last_write_time(path, error);
  if (error) return nullptr;
  nlohmann::json result = {{"mtime", static_cast<int64_t>(mtime.time_since_epoch().count())}};
  if (is_file) {
    const auto size = fs::file_size(path, error);
    if (error) return nullptr;
    result["size"] = static_cast<int64_t>(size);
  }
  return result;
}

nlohmann::json stamps(const IndexSources& sources) {
  nlohmann::json files = nlohmann::json::object(), directories = nlohmann::json::object();
  for (const auto& f : sources.files) files[f] = stamp(f, true);
  for (const auto& d : sources.directories) directories[d] = stamp(d, false);
  return {{"files", files}, {"directories", directories}};
}

// "" when every source still has its recorded stamp, else what changed.
std::string changed_source(const nlohmann::json& recorded) {
  for (const auto& [kind, is_file] : {std::pair{"files", true}, std::pair{"directories", false}})
    for (const auto& [path, value] : recorded.at(kind).items())
      if (stamp(path, is_file) != value) return path + " changed";
  return "";
}

// The first source whose modification time is not before `start` (it changed during the scan).
std::string changed_since(const nlohmann::json& recorded, fs::file_time_type start) {
  const auto limit = start.time_since_epoch().count();
  for (const char* kind : {"files", "directories"})
    for (const auto& [path, value] : recorded.at(kind).items())
      if (value.is_null() || value.at("mtime").get<int64_t>() >= limit) return path;
  return "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError("cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string index_cache_path(const std::string& cache_dir, const std::string& layout,
                             const std::string& root, const std::string& split) {
  const std::string absolute = fs::absolute(root).lexically_normal().string();
  std::string safe_split = split;
  for (char& c : safe_split)
    if (c == '/' || c == '\\' || c == ' ') c = '_';
  return (fs::path(cache_dir) /
          (layout + "-" + safe_split + "-" + to_hex(fnv1a(absolute)) + ".fctindex"))
      .string();
}

IndexLoad load_or_build_index(const ImageLayout& layout, const IndexRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  IndexLoad result;
  if (!request.cache_dir.empty())
    result.cache_path =
        index_cache_path(request.cache_dir, layout.name(), request.root, request.split);

  // Cache file: one JSON line (format, sources and their stamps), then the index blob.
  if (!result.cache_path.empty() && !request.rebuild && fs::exists(result.cache_path)) {
    try {
      const std::string text = read_file(result.cache_path);
      const auto newline = text.find('\n');
      if (newline == std::string::npos) throw DataError("no header line");
      const auto header = nlohmann::json::parse(text.substr(0, newline));
      if (header.value("format", "") != kCacheFormat) {
        result.stale_reason = "written by another fct version";
      } else {
        result.stale_reason = changed_source(header.at("sources"));
        if (result.stale_reason.empty()) {
          result.index = deserialize_index(text.substr(newline + 1), result.cache_path);
          result.from_cache = true;
        }
      }
    } catch (const std::exception& e) {
      // A damaged cache is only a slower start: rebuild it, but say so.
      result.stale_reason = std::string("unreadable (") + e.what() + ")";
    }
    if (!result.stale_reason.empty())
      spdlog::info("data: index cache {} is stale: {}; rescanning", result.cache_path,
                   result.stale_reason);
  }

  if (!result.from_cache) {
    IndexSources sources;
    const auto scan_start = fs::file_time_type::clock::now();
    result.index = layout.scan(request.root, request.split, sources);
    if (!result.cache_path.empty()) {
      const nlohmann::json recorded = stamps(sources);
      if (const std::string changed = changed_since(recorded, scan_start); !changed.empty()) {
        // Stamped after the scan, a source still being written (an archive being extracted)
        // would look settled while the index misses what came after it was read.
        spdlog::warn("data: {} changed while it was indexed; the index is used but not cached",
                     changed);
      } else {
        try {
          const nlohmann::json header = {{"format", kCacheFormat},
                                         {"layout", layout.name()},
                                         {"root", fs::absolute(request.root).string()},
                                         {"split", request.split},
                                         {"sources", recorded}};
          fs::create_directories(request.cache_dir);
          write_text_atomically(result.cache_path,
                                header.dump() + "\n" + serialize_index(result.index));
        } catch (const std::exception& e) {
          // Like a damaged cache, an unwritable one only costs the next start a rescan.
          spdlog::warn("data: cannot cache the index in {} ({}); the next run rescans",
                       request.cache_dir, e.what());
          result.cache_path.clear();
        }
      }
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

IndexLoad shared_index(distributed::Communicator* comm, const ImageLayout& layout,
                       const IndexRequest& request) {
  if (comm == nullptr || comm->size() == 1) return load_or_build_index(layout, request);

  // Note [Index heartbeat]: the other ranks wait while rank 0 scans, which can take longer than
  // a collective's timeout on a big dataset. So rank 0 scans on a second thread and broadcasts a
  // heartbeat every few seconds until it is done; every wait stays short, and a dead rank 0 still
  // ends the job at the timeout.
  IndexLoad result;
  std::string blob;
  int64_t failed = 0;
  std::exception_ptr failure;
  const torch::Device device = comm->device();
  const auto options = torch::TensorOptions().dtype(torch::kInt64).device(device);
  enum : int64_t { kWorking = 0, kDone = 1, kFailed = 2 };
  if (comm->rank() == 0) {
    std::mutex mutex;
    std::condition_variable finished_cv;
    bool finished = false;
    std::thread scanner([&] {
      try {
        result = load_or_build_index(layout, request);
        blob = serialize_index(result.index);
      } catch (const std::exception& e) {
        failure = std::current_exception();
        blob = e.what();
      }
      std::lock_guard<std::mutex> lock(mutex);
      finished = true;
      finished_cv.notify_all();
    });
    for (;;) {
      bool done = false;
      {
        std::unique_lock<std::mutex> lock(mutex);
        done = finished_cv.wait_for(lock, std::chrono::seconds(5), [&] { return finished; });
      }
      if (done) break;
      auto beat = torch::tensor({static_cast<int64_t>(kWorking)}, options);
      try {
        comm->broadcast(beat, 0);
      } catch (...) {
        scanner.join();
        throw;
      }
    }
    scanner.join();
    failed = failure ? 1 : 0;
    auto last = torch::tensor(
        {failure ? static_cast<int64_t>(kFailed) : static_cast<int64_t>(kDone)}, options);
    comm->broadcast(last, 0);
  } else {
    for (;;) {
      auto beat = torch::tensor({static_cast<int64_t>(kWorking)}, options);
      comm->broadcast(beat, 0);
      if (beat.cpu().item<int64_t>() != kWorking) break;
    }
  }
  auto header = torch::tensor(
      {failed, static_cast<int64_t>(blob.size()), static_cast<int64_t>(result.from_cache)},
      options);
  comm->broadcast(header, 0);
  const auto values = header.cpu();
  failed = values[0].item<int64_t>();
  const int64_t size = values[1].item<int64_t>();
  auto bytes = torch::empty({size}, torch::TensorOptions().dtype(torch::kUInt8));
  if (comm->rank() == 0) std::memcpy(bytes.data_ptr<uint8_t>(), blob.data(), blob.size());
  auto on_device = bytes.to(device);
  comm->broadcast(on_device, 0);
  if (failure) std::rethrow_exception(failure);
  if (comm->rank() == 0) return result;

  const auto received = on_device.cpu();
  blob.assign(reinterpret_cast<const char*>(received.data_ptr<uint8_t>()),
              static_cast<std::size_t>(size));
  if (failed)
    throw DataError("rank 0 could not index " + layout.name() + " " + request.split + ": " + blob);
  result.index = deserialize_index(blob, "the index broadcast by rank 0");
  result.from_cache = values[2].item<int64_t>() != 0;
  result.cache_path = request.cache_dir.empty() ? ""
                                                : index_cache_path(request.cache_dir, layout.name(),
                                                                   request.root, request.split);
  return result;
}

}  // namespace fct::data
