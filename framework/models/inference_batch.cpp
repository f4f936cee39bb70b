#include "framework/models/inference_batch.h"

#include <unistd.h>

#include <algorithm>

#include "framework/models/resnet.h"

namespace fct::models {

// Note [Inference batch]
// Training sizes its batch for the optimiser; a forward-only pass has no such constraint, and on a
// CPU its speed depends on where a layer's activations live. fct_bench_forward (bench/
// forward_batch.sh) with resnet18_small, width 8, on 28 x 28 images (25 KB of activation an image
// and layer), 2 ranks x 1 thread of a 2-core EPYC with 1 MiB of L2 a core, glibc tuned as in Note
// [Allocator], medians of 3 interleaved rounds: 9 700 forward passes/s at 16 images a pass,
// 11 300 at 32, 11 700 at 64, 10 200 at 256 and 4 600 at 1 024, the size the embedding rounds used
// to pass whole. (With glibc's default thresholds the plateau ended at 32 images, because larger
// activations were mmapped afresh for every layer.) So a pass takes as many images as fill 80% of
// L2 with one layer's activations, rounded down to a power of two, never fewer than 8 (large
// images: their convolutions are big enough on their own): 32 here, inside the plateau on the
// safe side. The size is a deterministic function of the model, the image shape and the machine,
// never of a timing, because oneDNN picks its algorithms by batch size: one image's embedding
// differs in the last bits (3.6e-7 here) between pass sizes, and a run must reproduce on its
// machine.

int64_t largest_activation_bytes(const torch::nn::AnyModule& backbone, int64_t channels,
                                 int64_t height, int64_t width) {
  const int64_t pixels = height * width;
  const auto* resnet = dynamic_cast<const ResNetImpl*>(backbone.ptr().get());
  if (resnet == nullptr) return std::max<int64_t>(64, channels) * pixels * 4;
  const ResNetOptions& o = resnet->options();
  const bool bottleneck = o.depth == 50;
  const int64_t expansion = bottleneck ? 4 : 1;
  // The stem (a stride-2 7x7 convolution for full-size images), then the stages at 1, 1/2, 1/4,
  // 1/8 of the stage-1 resolution (after the stem's max-pool for full-size images).
  int64_t largest = o.width * (o.small_input ? pixels : pixels / 4);
  const int64_t stage1 = o.small_input ? pixels : pixels / 16;
  for (int64_t stage = 0; stage < 4; ++stage) {
    const int64_t planes = o.width << stage;
    const int64_t in_pixels = stage == 0 ? stage1 : stage1 >> (2 * (stage - 1));
    const int64_t out_pixels = stage1 >> (2 * stage);
    // A stage's first block strides in conv1 (basic block) or conv2 (bottleneck, after a 1x1
    // convolution at the input resolution).
    const int64_t inner = planes * (bottleneck ? in_pixels : out_pixels);
    largest = std::max({largest, inner, planes * expansion * out_pixels});
  }
  return largest * 4;
}

int64_t l2_cache_bytes() {
  const long bytes = sysconf(_SC_LEVEL2_CACHE_SIZE);
  return bytes > 0 ? static_cast<int64_t>(bytes) : int64_t{1} << 20;
}

int64_t inference_batch_size(int64_t activation_bytes, int64_t cache_bytes, int64_t limit) {
  const int64_t fits = activation_bytes > 0 ? cache_bytes * 4 / 5 / activation_bytes : limit;
  int64_t size = 8;
  while (size * 2 <= fits) size *= 2;
  return std::max<int64_t>(1, std::min(size, limit));
}

int64_t inference_batch_for(const torch::nn::AnyModule& backbone, const torch::Tensor& images) {
  const int64_t batch = images.size(0);
  if (!images.device().is_cpu() || images.dim() != 4) return batch;
  return inference_batch_size(
      largest_activation_bytes(backbone, images.size(1), images.size(2), images.size(3)),
      l2_cache_bytes(), batch);
}

torch::Tensor forward_in_slices(const torch::Tensor& images, int64_t slice,
                                const std::function<torch::Tensor(const torch::Tensor&)>& forward) {
  const int64_t n = images.size(0);
  if (slice <= 0 || slice >= n) return forward(images);
  std::vector<torch::Tensor> parts;
  for (int64_t first = 0; first < n; first += slice)
    parts.push_back(forward(images.slice(0, first, std::min(n, first + slice))));
  return torch::cat(parts);
}

torch::Tensor forward_in_slices(const torch::nn::AnyModule& backbone, const torch::Tensor& images,
                                const std::function<torch::Tensor(const torch::Tensor&)>& forward) {
  return forward_in_slices(images, inference_batch_for(backbone, images), forward);
}

}  // namespace fct::models
