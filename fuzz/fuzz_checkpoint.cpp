// libFuzzer target: checkpoints (nn/checkpoint.cpp) loaded into a small
// conv net with an Adam optimizer: the safetensors reader plus the name,
// shape, dtype and optimizer-metadata checks on top of it.
#include "fuzz/fuzz_net.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = nf::fuzz::write_file("input.safetensors", data, size);
  static auto net = nf::fuzz::checkpoint_net();
  static nf::optim::Adam adam(net->parameters());
  nf::fuzz::expect_errors([&] { nf::nn::load_state(path, *net); });
  nf::fuzz::expect_errors([&] { nf::nn::load_state(path, *net, &adam); });
  return 0;
}
