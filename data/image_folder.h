// An image-folder dataset: root/<class>/<image>, decoded with stb_image.
//
// Classes are the sub-folders of root sorted by name (label = position);
// images inside a class are read in name order. Image files end in .png, .jpg,
// .jpeg or .bmp (any case); hidden entries (names starting with '.') are
// ignored, anything else in a class folder is an error, as is an undecodable
// image or one whose size differs from the first image's.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "data/dataset.h"

namespace nf::data {

struct ImageFolderOptions {
  // 1 (gray) or 3 (RGB): every image is converted to it. 0: from the first
  // image (gray or gray+alpha -> 1, else 3; alpha is dropped).
  int64_t channels = 0;
};

// Decodes every image once into a TensorDataset (u8 [N,C,H,W], class names kept).
std::shared_ptr<TensorDataset> load_image_folder(const std::string& root,
                                                 const ImageFolderOptions& opts = {});

// Largest width or height accepted. A few bytes of PNG/JPEG/BMP header can
// claim any size, so the claim is checked before the decoder allocates.
constexpr int64_t kImageMaxSide = 4096;

// One PNG/JPEG/BMP image held in memory, decoded to u8 [C,H,W] (planar).
// channels as in ImageFolderOptions; `name` (a path) prefixes errors:
//   "image_folder: <name>: cannot decode: <stb's reason>".
Tensor decode_image(const unsigned char* bytes, size_t size, int64_t channels,
                    const std::string& name);

}  // namespace nf::data
