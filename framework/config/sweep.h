// Sweeps: ablations declared as axes of override values and expanded into points, each point one
// run with those overrides applied to the base config. Axes come from a `sweep:` block in the YAML
// and from the command line in Hydra's multirun grammar; the command line wins on a shared key.
//
//   sweep:
//     mode: product            # or zip: the i-th values of every axis form point i
//     params:
//       side_info.model.embedding_dim: [8, 32, 128]
//       seed: [0, 1]
//
//   fct sweep exp.yaml side_info.model.embedding_dim=8,32,128 seed=range(0,3)
//
// Command-line sweep values: `a,b,c` (commas outside brackets and quotes), `range(start, stop[,
// step])` (integers, stop excluded, as Python), `choice(a, b)`.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fct::config {

struct SweepAxis {
  std::string key;                  // dotted key path
  std::vector<std::string> values;  // YAML text of each value, as an override takes it
};

enum class SweepMode { kProduct, kZip };

struct SweepSpec {
  SweepMode mode = SweepMode::kProduct;
  std::vector<SweepAxis> axes;
};

struct SweepPoint {
  int64_t index = 0;
  std::vector<std::string> overrides;  // "key=value", one per axis, in axis order
  std::string label;                   // "key=value key=value", for tables
};

// A YAML value as the text an override takes back to the same value (quoted strings stay strings,
// lists and maps in flow style).
std::string override_value_text(const YAML::Node& node);

// The `sweep:` block (null: no axes). Throws ConfigError naming `source` and the key for a
// malformed block (unknown mode, an axis that is not a non-empty list).
SweepSpec read_sweep_block(const YAML::Node& block, const std::string& source);

// Splits command-line arguments into plain overrides and sweep axes (an argument whose value
// holds a top-level comma, range(...) or choice(...)). Throws ConfigError for a malformed one.
void split_multirun_arguments(const std::vector<std::string>& arguments,
                              std::vector<std::string>& overrides, std::vector<SweepAxis>& axes);

// `file` with `command_line` axes merged: an axis of the same key is replaced, a new one appended.
SweepSpec merge_sweeps(SweepSpec file, const std::vector<SweepAxis>& command_line);

// Every point, in order (product: the last axis varies fastest). Zip needs equal lengths.
std::vector<SweepPoint> expand_sweep(const SweepSpec& spec);

// A directory name for a point: its index, zero-padded, then its label with characters other than
// letters, digits, '.', '-', '_' and '=' replaced by '_' (cut to a sane length).
std::string point_directory_name(const SweepPoint& point, int64_t total);

}  // namespace fct::config
