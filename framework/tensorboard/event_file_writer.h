// EventFileWriter: scalars as a TensorBoard event file (events.out.tfevents.*), so that
// `tensorboard --logdir runs/` shows a study's training. The file is TFRecord-framed Event
// protobufs: each record is its length, the masked CRC-32C of the length, the bytes, and their
// masked CRC-32C, which TensorBoard verifies.
//
// The file grows as training goes (TensorBoard reads it while it is written), so it is not
// written to a temporary name; a crash can cut the last record, which readers skip. A process
// writes a file of its own: a resumed run adds a second file to the directory, and TensorBoard
// shows the two as one run.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace fct::tensorboard {

class EventFileWriter {
 public:
  // Creates events.out.tfevents.<seconds>.<host>.<pid>[.<n>] in `directory` (which must exist)
  // and writes the file-version event TensorBoard expects first.
  explicit EventFileWriter(const std::string& directory);

  // One scalar at a step; wall time is now. Values are stored as float, TensorBoard's type.
  void add_scalar(const std::string& tag, double value, int64_t step);
  // Makes what was added readable by TensorBoard; throws with the path when the disk refused it.
  void flush();

  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& bytes);

  std::string path_;
  std::ofstream out_;
};

}  // namespace fct::tensorboard
