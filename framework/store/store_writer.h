// StoreWriter: writes one store (Note [Store file format] in store_format.h) from all ranks of a
// communicator at once, with parallel HDF5 (MPI-IO driver, collective transfers).
//
// Every call is collective: all ranks of `comm` call the constructor with the same arguments,
// write_rows the same number of times, and commit (or destroy the writer) together. Wrong input on
// one rank (a shape, a dtype, a row range) makes every rank throw from the same call, so the
// ranks never part ways inside HDF5. The file is written under a temporary name next to `path`
// and renamed onto `path` by commit() (Note [Write, then rename] in core/atomic_file.h); a writer
// destroyed without commit() removes it, so nothing at `path` ever looks complete when it is not.
#pragma once

#include <memory>
#include <string>

#include "framework/distributed/communicator.h"
#include "framework/store/store_format.h"

namespace fct::store {

class StoreWriter {
 public:
  // Collective. Checks that every rank passes the same path, layout and attributes (fct::Error
  // naming what differs), then creates the file under a temporary name next to `path` (parent
  // directories as needed) with full-size datasets and the attributes: `fct_store_version` = "1"
  // plus `attributes` (scalar variable-length UTF-8 strings; the key fct_store_version is
  // reserved).
  // `comm` must outlive the writer; HDF5 gets a duplicate of its MPI communicator.
  StoreWriter(distributed::Communicator& comm, std::string path, StoreLayout layout,
              Attributes attributes);
  // Without commit(): closes and deletes the temporary file (collective: all ranks must be here,
  // e.g. all unwinding the same exception); never throws.
  ~StoreWriter();
  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Collective: every rank calls it the same number of times; each writes its rows
  // [first_row, first_row + rows.size()) of every column with a collective transfer. A rank with
  // nothing to write this round passes empty rows (a default StoreRows; first_row is then
  // ignored). Tensors may live on any device; they must have the column's dtype and shape.
  void write_rows(int64_t first_row, const StoreRows& rows);

  // Collective: checks that the writes covered every row exactly once, closes the file and
  // renames it onto `path` (rank 0 renames once every rank has closed; every rank returns after
  // the rename). Throws on every rank, leaving nothing at `path`, when rows are missing or were
  // written twice.
  void commit();

  const std::string& path() const;
  // The temporary file's name, the same on every rank.
  const std::string& temporary_path() const;
  const StoreLayout& layout() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

namespace detail {
// The most bytes one rank hands to one H5Dwrite call (default 1 GiB; larger blocks are written in
// several collective transfers). For tests of that splitting; returns the previous value.
int64_t set_max_transfer_bytes(int64_t bytes);
}  // namespace detail

}  // namespace fct::store
