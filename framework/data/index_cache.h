// The dataset index, built once and shared. Note [Index cache]: scanning an ImageNet-sized split
// (a stat per file) takes minutes on a network file system, so one rank builds the index and
// writes it to the cache directory (never into the dataset, which may be read-only); later runs
// load it after checking that nothing it was built from changed (sizes and mtimes of the label
// files, mtimes of the scanned directories: a few thousand stats, not a million). Every other rank
// receives the index from rank 0 instead of touching the file system.
#pragma once

#include <string>

#include "framework/data/image_index.h"
#include "framework/data/image_layout.h"
#include "framework/distributed/communicator.h"

namespace fct::data {

struct IndexRequest {
  std::string root;       // dataset directory
  std::string split;      // layout split name
  std::string cache_dir;  // "" = no cache: scan every time
  bool rebuild = false;   // ignore a valid cache (fct data index --rebuild)
};

struct IndexLoad {
  ImageIndex index;
  bool from_cache = false;
  std::string cache_path;    // "" without a cache directory
  std::string stale_reason;  // why a cache file that existed was not used ("" = none or used)
  double seconds = 0;
};

// The cache file of (layout, absolute root, split) under `cache_dir`.
std::string index_cache_path(const std::string& cache_dir, const std::string& layout,
                             const std::string& root, const std::string& split);

// Loads the cached index when its sources are unchanged; otherwise scans and writes the cache
// (atomically: a crash never leaves a half cache that looks valid).
IndexLoad load_or_build_index(const ImageLayout& layout, const IndexRequest& request);

// Collective over `comm` (nullptr: this process alone): rank 0 runs load_or_build_index, every
// rank gets the index. An error on rank 0 is rethrown there and as a DataError with its message on
// every other rank, so no rank waits for an index that never comes.
IndexLoad shared_index(distributed::Communicator* comm, const ImageLayout& layout,
                       const IndexRequest& request);

}  // namespace fct::data
