// Checks a zip archive — the file format of LibTorch's model files and checkpoints, PyTorch's
// torch.save and TorchScript — against the CRC-32 each of its records carries, before LibTorch
// reads it (Note [Damaged archives]).
#pragma once

#include <string>
#include <string_view>

namespace fct {

// Note [Damaged archives]
// Every record of a zip archive carries the CRC-32 of its bytes, but LibTorch's reader (miniz
// built with MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS) never checks them: a flipped bit in a weight
// loads silently as a wrong weight, and a flipped bit in a pickle or in the archive's own offsets
// reaches LibTorch's parsers, which are not hardened against it. So fct walks the archive first —
// the end record (zip64 too), every central-directory entry and local header, bounds-checked
// against the file — and recomputes each record's CRC-32 (inflating deflated ones). Costs one
// read of the file (page cache makes LibTorch's read that follows cheap).

// Throws DataError "<what> <path>: a damaged zip archive (...)" naming the record and what is
// wrong, or "<what> <path>: not a zip archive" when it is none; fct::Error when the file cannot be
// read. `what` says what the file is for ("model file", "checkpoint").
void verify_zip_file(const std::string& path, const std::string& what);

// The same for an archive already in memory; `origin` names it in errors.
void verify_zip_bytes(std::string_view bytes, const std::string& origin);

}  // namespace fct
