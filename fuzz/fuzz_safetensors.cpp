// libFuzzer target: safetensors files (nn/safetensors.cpp) from memory.
#include <cstring>

#include "fuzz/fuzz_util.h"
#include "nn/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nf::fuzz::expect_errors([&] {
    nf::nn::SafeTensors st = nf::nn::parse_safetensors(data, size, "input");
    // Accepted: every tensor lies inside the input; touch every byte so ASan
    // sees any read beyond what was allocated.
    size_t total = 0;
    for (const auto& [name, t] : st.tensors) {
      const size_t n = size_t(t.numel()) * nf::dtype_size(t.dtype());
      total += n;
      std::vector<unsigned char> copy(n);
      if (n) std::memcpy(copy.data(), t.raw_data(), n);
    }
    if (total > size) __builtin_trap();
  });
  return 0;
}
