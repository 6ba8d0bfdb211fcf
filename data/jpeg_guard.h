// Screens JPEG bytes for what Debian's stb_image (2.27, git 2022-09) decodes
// unsafely, so that data/image_folder.cpp can refuse them before stb sees
// them. Upstream fixed these later; each check names the stb function.
//   - a DHT table whose 16 code-length counts add up to more than 256 codes:
//     stbi__build_huffman writes past its 257-entry size list.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

namespace nf::data {

// Not a JPEG to stb (no FF, FF fill bytes, D8 start) or nothing wrong found:
// nullopt. Otherwise the problem and where (byte offset of the segment), for
// "cannot decode: <problem>".
std::optional<std::string> jpeg_stb_hazard(const unsigned char* bytes, size_t size);

}  // namespace nf::data
