// libFuzzer target: PNG / JPEG / BMP through stb_image, the decode path of
// data/image_folder.cpp (decode_image), as gray, RGB and "from the image".
#include "data/image_folder.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (int64_t channels : {0, 1, 3}) {
    nf::fuzz::expect_errors([&] {
      nf::Tensor img = nf::data::decode_image(data, size, channels, "input");
      const nf::Shape& s = img.shape();
      if (s.size() != 3 || (channels && s[0] != channels) || s[1] < 1 || s[2] < 1 ||
          s[1] > nf::data::kImageMaxSide || s[2] > nf::data::kImageMaxSide)
        __builtin_trap();
    });
  }
  return 0;
}
