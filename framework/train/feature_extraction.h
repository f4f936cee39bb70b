// Embeds a dataset split with frozen models into a store (framework/store/): the gallery stores of
// `fct embed` (one view through the evaluation transform) and the transformation's feature cache
// (K augmented views through the training transform, φ_old + ψ + φ_new). Every rank embeds its own
// contiguous share of the samples and writes it collectively; the file appears complete or not at
// all.
#pragma once

#include <cstdint>
#include <string>

#include "framework/core/phase_profile.h"
#include "framework/data/dataset.h"
#include "framework/data/transforms.h"
#include "framework/distributed/communicator.h"
#include "framework/models/embedding_model.h"
#include "framework/models/simclr_model.h"
#include "framework/store/store_reader.h"
#include "framework/store/store_writer.h"

namespace fct::train {

struct Encoders {
  models::EmbeddingModel embedding{nullptr};  // -> `embeddings`
  models::SimclrModel side_info{nullptr};     // -> `side_info`, optional
  models::EmbeddingModel target{nullptr};     // -> extra column `target`, optional
};

struct ExtractionOptions {
  int64_t views = 1;          // view v is the transform's draw for epoch v; rows are view-major
  int64_t batch_size = 1024;  // per rank: images loaded, and rows written, per round
  // Images per forward pass: a round's batch goes through the models in slices of this size
  // (0 = chosen for the models and the machine, Note [Inference batch] in
  // models/inference_batch.cpp). Large rounds keep the ranks' synchronisations and HDF5 calls
  // few; small passes keep the activations in the cache.
  int64_t forward_batch = 0;
  int64_t loader_threads = 0;
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;
  bool show_progress = true;
  std::string label = "embed";  // progress bar label
};

// What one write_embeddings call did, as rank 0 saw it (every rank writes at the same pace).
struct ExtractionReport {
  int64_t rows = 0;           // rows of the store: views x samples, all ranks
  int64_t passes = 0;         // forward passes: rows x models
  double seconds = 0.0;       // wall time of the call on rank 0
  int64_t forward_batch = 0;  // images per forward pass (rank 0's)
  PhaseProfile phases;        // rank 0's: set-up, load, forward, wait (for the other ranks), write
};

// Writes `dataset` through `encoders` to `path` (collective over `comm`, whose ranks are the
// ranks of MPI_COMM_WORLD). The store's rows are (view, sample) pairs: row v * N + i. Logs the
// report on rank 0 and returns it.
ExtractionReport write_embeddings(distributed::Communicator& comm, const data::Dataset& dataset,
                                  const data::Transform& transform, Encoders encoders,
                                  const std::string& path, store::Attributes attributes,
                                  const ExtractionOptions& options);

}  // namespace fct::train
