// State dicts as PyTorch writes them (`torch.save(model.state_dict(), path)`: a zip archive with a
// pickled OrderedDict of tensors) and as torchvision-style code reads them (`torch.load(path)`).
//
// LibTorch's own unpickler cannot read these files: it turns collections.OrderedDict into None
// (it expects OrderedDict only as a tensor's backward hooks), so every real state dict fails. The
// reader here runs the small part of the pickle machine that state dicts use, and refuses
// anything else (another global, a code object) naming the file: a pickle from elsewhere is
// never executed, only read.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace fct::models {

// The tensors of a state dict, in the file's order. Throws fct::Error naming the file when it is
// missing, not a PyTorch zip archive, or holds anything but a dict of names to tensors.
std::vector<std::pair<std::string, torch::Tensor>> read_state_dict_file(const std::string& path);

// Writes `module`'s parameters and buffers (names as named_parameters()/named_buffers() give
// them) as a file `torch.load` reads into a dict; atomically.
void write_state_dict_file(const std::string& path, const torch::nn::Module& module);

// Copies the file's tensors into `module`'s parameters and buffers by name. Every parameter and
// buffer of the module must be in the file with its shape (else fct::Error naming the file, the
// key and both shapes); keys the module does not have are returned (the caller decides: a
// torchvision ResNet's `fc.*` has no place in an embedding backbone).
std::vector<std::string> load_state_dict_file(const std::string& path, torch::nn::Module& module);
// The same from tensors already read; `source` names them in errors.
std::vector<std::string> load_state_dict(
    const std::vector<std::pair<std::string, torch::Tensor>>& entries, const std::string& source,
    torch::nn::Module& module);

}  // namespace fct::models
