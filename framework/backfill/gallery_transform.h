// `fct transform`: upgrades a stored gallery to the new model's space as h(φ_old, ψ), from the
// stored vectors alone (no images), streaming chunks of rows on every rank so that memory stays
// bounded whatever the gallery's size. A store embedded by another φ_old (or ψ) than the one h
// was trained against is refused. An h with the σ head also writes each item's σ (store::kSigma).
#pragma once

#include <cstdint>
#include <string>

#include "framework/distributed/communicator.h"

namespace fct::backfill {

struct GalleryTransformJob {
  std::string transformation_path;  // a transformation model file (h)
  std::string input_path;           // store of φ_old (with side_info when h uses it)
  std::string output_path;
  int64_t chunk_rows = 8192;  // rows per rank and round
  torch::Device device = torch::kCPU;
  bool show_progress = true;
};

struct GalleryTransformSummary {
  int64_t rows = 0;
  double seconds = 0.0;
  double items_per_s = 0.0;
};

GalleryTransformSummary transform_gallery(const GalleryTransformJob& job,
                                          distributed::Communicator& comm);

}  // namespace fct::backfill
