// How many images one forward pass of a frozen model should take on a CPU, and the forward in
// slices of that size (Note [Inference batch] in inference_batch.cpp). The forward-only paths use
// it: `fct embed`, the feature cache, `backfill apply`'s re-embedding, BCT's class means and the
// transformation's online features.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>

namespace fct::models {

// Bytes of the largest activation map one image of shape [C, H, W] makes in `backbone`: exact for
// fct's ResNets; for other backbones (TorchScript) that of a 64-channel map at full resolution,
// on the safe side.
int64_t largest_activation_bytes(const torch::nn::AnyModule& backbone, int64_t channels,
                                 int64_t height, int64_t width);

// This CPU's per-core L2 cache (sysconf), or 1 MiB where the system does not say.
int64_t l2_cache_bytes();

// Images per forward pass on a CPU: the largest power of two whose activations fill at most 80%
// of `cache_bytes`, between 8 and `limit` (inclusive; limit itself when smaller than 8).
int64_t inference_batch_size(int64_t activation_bytes, int64_t cache_bytes, int64_t limit);

// inference_batch_size for `backbone` and this CPU's L2, for images shaped like `images`
// ([B, C, H, W]), at most B; B itself for tensors on another device (a GPU wants the whole batch).
int64_t inference_batch_for(const torch::nn::AnyModule& backbone, const torch::Tensor& images);

// forward(images) computed slice by slice (`slice` images each, the last one smaller), rows
// concatenated in order. `slice` <= 0 or >= the batch: one call.
torch::Tensor forward_in_slices(const torch::Tensor& images, int64_t slice,
                                const std::function<torch::Tensor(const torch::Tensor&)>& forward);

// forward_in_slices in slices of inference_batch_for(backbone, images): the call every forward-only
// path makes, with `backbone` the one `forward` runs.
torch::Tensor forward_in_slices(const torch::nn::AnyModule& backbone, const torch::Tensor& images,
                                const std::function<torch::Tensor(const torch::Tensor&)>& forward);

}  // namespace fct::models
