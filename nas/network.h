// What a search space needs, besides a genotype, to build a network: the input
// images, the classes and the network's size. One struct serves every space;
// each field says which spaces read it.
//
// JSON: {"image_shape": [1, 28, 28], "num_classes": 10, "channels": 16, "cells": 1, "drop_path": 0},
// plus "auxiliary": true when set (omitted when false, so configs written
// before it existed read back equal).
#pragma once
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

namespace nf::nas {

struct NetworkConfig {
  std::vector<int64_t> image_shape = {1, 28, 28};  // [C, H, W] of one input image
  int64_t num_classes = 10;
  // macro: the stem's width; nb201: C of the first stage (16 in the paper);
  // darts: the initial C (16 during search, 36 for the final CIFAR network).
  int64_t channels = 16;
  // nb201: cells per stage (N; 5 in the paper); darts: cells in all (8 during
  // search, 20 for the final network), reductions at 1/3 and 2/3; macro: unused.
  int64_t cells = 1;
  // darts: drop-path probability while training (0.2 in the paper's final training).
  double drop_path = 0;
  // darts: an auxiliary classifier on the cell at 2/3 depth (the paper's final
  // training; its loss is added in training only, see nas/network_darts.h).
  bool auxiliary = false;
  bool operator==(const NetworkConfig&) const = default;
};

// nlohmann hooks; from_json fills omitted fields with the defaults above and
// throws nf::Error ("network config: <field>: <problem>") on a bad value.
void to_json(nlohmann::json& j, const NetworkConfig& c);
void from_json(const nlohmann::json& j, NetworkConfig& c);

// The size of a built network: parameters, and multiply-accumulates of one
// forward pass on one image (convolutions and linear layers, the "multi-adds"
// the NASNet and DARTS papers report).
struct Cost {
  int64_t params = 0;
  int64_t macs = 0;
};

}  // namespace nf::nas
