// StoreUpdater: rewrites rows of a committed store in place, one process (serial HDF5 access
// through the plain POSIX driver; in an MPI job rank 0 alone), so that a long job that fills a
// store bit by bit (fct backfill apply) never has to copy it. See Note [In-place store updates].
//
// Note [In-place store updates]
// A store is rewritten in place only in its raw data: the columns of a store are contiguous,
// unfiltered datasets whose storage was allocated when the file was created (Note [Store file
// format]), so overwriting rows changes no byte of HDF5's metadata (object headers, B-trees,
// heaps, the superblock). The file is opened with the default (earliest) format bounds, whose
// superblock has no "open for writing" flag, and with no data sieve buffer, so every H5Dwrite goes
// to the OS at once, in call order, as one pwrite per run of consecutive rows. Hence a process
// killed at any moment leaves a file that HDF5 (and h5py) opens as before, with every row either
// old, new, or (only for the row being written when the kill came) part old, part new. flush()
// adds fsync, for the same guarantee against a crash of the machine. A caller that needs a row's
// values and its bookkeeping to agree (fct backfill apply) writes the values, flushes, then the
// bookkeeping, flushes: a torn row is then never marked done.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "framework/store/store_format.h"

namespace fct::store {

class StoreUpdater {
 public:
  // Checks that `path` is a complete store (as StoreReader does) and that every column is a
  // contiguous dataset with its storage allocated, then opens it for writing. fct::Error naming
  // the file otherwise, or when another process has it open (HDF5's file lock).
  explicit StoreUpdater(const std::string& path);
  // Closes the file (after a flush); never throws.
  ~StoreUpdater();
  StoreUpdater(const StoreUpdater&) = delete;
  StoreUpdater& operator=(const StoreUpdater&) = delete;

  const std::string& path() const;
  const StoreLayout& layout() const;

  // Writes values[k] into row rows[k] of `column`, for every k. `rows`: int64 [n], in any order,
  // each in [0, N) and none twice; `values`: the column's dtype, [n, width] (float32 columns) or
  // [n] (int64 columns: labels, ids, int64 extras). Nothing is written when the input is wrong
  // (fct::Error naming the file, the column and the problem).
  void write_rows(const std::string& column, const torch::Tensor& rows,
                  const torch::Tensor& values);

  // H5Fflush, then fsync of the file: every row written so far is on disk when it returns.
  void flush();

  // Flushes and closes; further calls throw. Throws when closing fails.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fct::store
