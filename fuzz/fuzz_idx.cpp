// libFuzzer target: IDX images and labels files, plain or gzip-compressed
// (data/idx.cpp through data/gz_file.cpp; the bytes decide which).
#include "data/idx.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = nf::fuzz::write_file("input.idx", data, size);
  nf::fuzz::expect_errors([&] {
    nf::Tensor images = nf::data::read_idx_images(path);
    // Accepted: exactly what the header announced, within the limits.
    const nf::Shape& s = images.shape();
    if (s.size() != 4 || s[0] < 1 || s[0] > nf::data::kIdxMaxCount || s[1] != 1 || s[2] < 1 ||
        s[2] > nf::data::kIdxMaxSide || s[3] < 1 || s[3] > nf::data::kIdxMaxSide)
      __builtin_trap();
  });
  nf::fuzz::expect_errors([&] {
    nf::Tensor labels = nf::data::read_idx_labels(path);
    if (labels.dim() != 1 || labels.numel() < 1) __builtin_trap();
  });
  return 0;
}
