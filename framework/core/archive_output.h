// LibTorch archives (model files, checkpoints) written safely: atomically (Note [Write, then
// rename]), and on a full disk as an fct::Error naming the file, where LibTorch's own file writer
// would end the process (a write error under PyTorchStreamWriter throws again from its destructor:
// std::terminate).
#pragma once

#include <torch/torch.h>

#include <string>

namespace fct {

void save_archive_atomically(torch::serialize::OutputArchive& archive, const std::string& path);

}  // namespace fct
