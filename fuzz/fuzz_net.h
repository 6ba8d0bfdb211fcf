// The network fuzz/fuzz_checkpoint.cpp loads checkpoints into, shared with
// fuzz/make_seeds.cpp so that the seed checkpoints match it.
#pragma once
#include "nn/nn.h"

namespace nf::fuzz {

inline std::shared_ptr<nn::SequentialImpl> checkpoint_net() {
  return nn::Sequential(nn::Conv2d(1, 2, 3, {.padding = 1}), nn::BatchNorm2d(2), nn::ReLU(), nn::GlobalAvgPool(),
                        nn::Linear(2, 3));
}

}  // namespace nf::fuzz
