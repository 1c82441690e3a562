// Checkpoints in the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header {"name": {"dtype": "F32", "shape": [...],
// "data_offsets": [begin, end]}, ..., "__metadata__": {"key": "value"}}, then the raw
// little-endian data. A module's file holds its state dict (parameters and buffers) under
// PyTorch's key names and layouts, so `torch.nn.Module.load_state_dict(safetensors.torch.
// load_file(path))` reads it and a file PyTorch wrote loads here. Loading validates the whole
// file against the module (missing key, unexpected key, shape, dtype, truncated or corrupt
// header) before writing anything, so a failed load leaves the module unchanged; a path that is
// not a regular file (a directory, a device, a pipe) is an IOError naming it, and no read goes
// past the sizes the header declares. Saving writes a temporary file next to the target
// (`.<name>.tmp-<pid>-XXXXXX`) and renames it over the target, so a crash never leaves a
// half-written checkpoint under the real name; the directory is fsynced after the rename, the
// file gets the mode an ordinary write would (the umask; an existing file keeps its mode), and
// temporaries left by interrupted saves of the same target are removed.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "needle/ndarray.h"
#include "needle/nn/module.h"
#include "needle/optim/optimizer.h"

namespace needle {

using NamedArrays = std::vector<std::pair<std::string, NDArray>>;

struct SafetensorsFile {
  NamedArrays tensors;  // in the header's order
  std::map<std::string, std::string> metadata;
};

// Writes `tensors` (any device, any strides) and string metadata atomically. IOError when the
// file cannot be written; Error for duplicate or empty names.
void save_safetensors(const std::string& path, const NamedArrays& tensors,
                      const std::map<std::string, std::string>& metadata = {});
// Reads a whole file onto `device`. IOError for unreadable, truncated or corrupt files
// (the message names the problem and, where there is one, the key).
SafetensorsFile load_safetensors(const std::string& path, const Device& device = cpu());

// Copies `tensors` into module's parameters and buffers in place (handles keep their identity).
// Every key must match one entry of module.state_dict() with the same shape and dtype, and every
// entry must be present; otherwise Error naming the key, and nothing is written.
void load_state_dict(nn::Module& module, const NamedArrays& tensors);

// A module's state dict (parameters and buffers).
void save(const nn::Module& module, const std::string& path);
void load(nn::Module& module, const std::string& path);
template <typename Impl>
void save(const nn::ModuleHolder<Impl>& module, const std::string& path) {
  save(static_cast<const nn::Module&>(*module), path);
}
template <typename Impl>
void load(const nn::ModuleHolder<Impl>& module, const std::string& path) {
  load(static_cast<nn::Module&>(*module), path);
}

// An optimizer's state: its buffers as "<param index>.<name>" ("0.exp_avg") and its step
// count, lr and hyper-parameters as metadata. Loading needs an optimizer of the same type over
// parameters of the same shapes.
void save(const optim::Optimizer& optimizer, const std::string& path);
void load(optim::Optimizer& optimizer, const std::string& path);

}  // namespace needle
