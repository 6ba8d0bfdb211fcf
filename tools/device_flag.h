// --device cpu|cuda|cuda:N, shared by train, eval and search: where the
// network trains and evaluates. Data loading and transforms stay on the host;
// each batch is copied to the device before its step.
#pragma once
#include <string>

#include "tensor/device.h"
#include "tools/flags.h"

namespace nf::tools {

// "cpu", "cuda" (= cuda:0) or "cuda:N"; throws "nasforge <command>: --device
// must be cpu, cuda or cuda:N, got '...'" otherwise.
Device parse_device(const std::string& command, const std::string& text);

// Throws one line when `device` cannot be used here:
//   "nasforge train: --device cuda: this build has no CUDA backend (...)"
//   "nasforge train: --device cuda: no CUDA device (cudaGetDeviceCount: ...)"
//   "nasforge train: --device cuda:3: no such device (1 CUDA device(s) visible)"
void check_device_usable(const std::string& command, Device device);

// Reads --device (default cpu) and parses it. Call before flags.finish();
// check usability after finish(), so a typo in another flag is reported first.
Device read_device_flag(Flags& flags);

// True when this build carries the CUDA backend.
bool build_has_cuda();

}  // namespace nf::tools
