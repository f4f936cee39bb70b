// Atomic file output. See Note [Write, then rename].
//
// Note [Write, then rename]
// A checkpoint, store or result file that a crash leaves half-written must never look complete:
// a resumed run would load it, or a user would trust it. So every output is written under a
// temporary name in the same directory and renamed onto its final path only once complete
// (rename(2) is atomic within a file system); a failure removes the temporary and leaves any
// previous version of the file untouched. Before the rename the temporary is synced to disk
// (fsync), and after it the directory, so that a node that crashes right after cannot come back
// with the final name on an empty or short file: rename orders names, not data.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace fct {

// Calls `write(temporary_path)`, then renames the temporary onto `path`. If `write` throws, the
// temporary is removed and the exception propagates; `path` is unchanged.
void write_atomically(const std::string& path,
                      const std::function<void(const std::string& temporary_path)>& write);

// Bytes streamed to `path` through write_atomically: `produce(put)` calls `put(data, size)` as
// often as it likes. `put` never fails: the first write error is kept and later bytes are
// dropped, and after `produce` returns the error is thrown naming the file and its temporary
// (ENOSPC and EDQUOT as "no space left on the device"). For writers that must not see their sink
// fail: LibTorch's archive writer ends the process (std::terminate, from its destructor) when a
// write fails under it.
using ByteSink = std::function<void(const void* data, std::size_t size)>;
void stream_atomically(const std::string& path,
                       const std::function<void(const ByteSink& put)>& produce);

// Text convenience over stream_atomically.
void write_text_atomically(const std::string& path, const std::string& text);

// fsync(2) of a file (`directory` false) or a directory: on the disk when this returns, or an
// Error naming `path` says why not. A directory that its file system cannot sync is accepted.
void sync_to_disk(const std::string& path, bool directory);

// After renaming a file onto `path`: syncs the directory that holds it, so the new name survives a
// crash.
void sync_renamed(const std::string& path);

// The temporary name used for `path` by this process.
std::string temporary_path_for(const std::string& path);

}  // namespace fct
