// Checkpoints: a module's parameters and buffers (names from
// Module::named_state(), e.g. "features.0.weight") and optionally an
// optimizer's state, in one safetensors file (nn/safetensors.h):
//   - optimizer tensors under "optim.<i>.<kind>" (e.g. "optim.3.exp_avg"),
//   - its scalars in the metadata as "optim.type", "optim.step", "optim.lr",
//   - caller metadata (keys must not start with "optim.") alongside.
// Writes are atomic. load_state checks, before changing anything, that the
// names match exactly (listing the missing and the unexpected ones) and that
// every shape and dtype matches; then it copies the values in place (onto
// the tensors' devices). Without an optimizer, "optim.*" entries are ignored.
#pragma once
#include <map>
#include <string>

#include "nn/module.h"
#include "nn/optim/optimizer.h"

namespace nf::nn {

void save_state(const std::string& path, const Module& module, const optim::Optimizer* optimizer = nullptr,
                const std::map<std::string, std::string>& metadata = {});

// Returns the caller metadata stored with the checkpoint (without "optim." keys).
std::map<std::string, std::string> load_state(const std::string& path, Module& module,
                                              optim::Optimizer* optimizer = nullptr);

}  // namespace nf::nn
