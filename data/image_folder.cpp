#include "data/image_folder.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

#include "data/jpeg_guard.h"
#include "tensor/factory.h"

namespace nf::data {

namespace {

namespace fs = std::filesystem;

bool hidden(const fs::path& p) { return p.filename().string().starts_with('.'); }

bool is_image_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

// The visible entries of a directory, sorted by name.
std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (!hidden(it->path())) out.push_back(it->path());
  NF_CHECK(!ec, "image_folder: ", dir.string(), ": cannot list: ", ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

struct StbFree {
  void operator()(unsigned char* p) const { stbi_image_free(p); }
};

std::vector<unsigned char> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  NF_CHECK(in, "image_folder: ", path.string(), ": cannot open: ", std::strerror(errno));
  std::vector<unsigned char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  NF_CHECK(!in.bad(), "image_folder: ", path.string(), ": read error");
  return bytes;
}

}  // namespace

Tensor decode_image(const unsigned char* bytes, size_t size, int64_t channels, const std::string& name) {
  NF_CHECK(channels == 0 || channels == 1 || channels == 3, "image_folder: ",
           "channels must be 0 (from the first image), 1 or 3, got ", channels);
  // stb counts bytes in int; a larger file is no image this reader wants.
  NF_CHECK(size <= size_t(INT32_MAX), "image_folder: ", name, ": file of ", size,
           " bytes is too large for the decoder");
  if (auto problem = jpeg_stb_hazard(bytes, size))
    NF_FAIL("image_folder: ", name, ": cannot decode: ", *problem);
  int w = 0, h = 0, comp = 0;
  // Header only: the size claim is checked before the decoder allocates for it.
  NF_CHECK(stbi_info_from_memory(bytes, int(size), &w, &h, &comp), "image_folder: ", name,
           ": cannot decode: ", stbi_failure_reason());
  NF_CHECK(w > 0 && h > 0 && w <= kImageMaxSide && h <= kImageMaxSide, "image_folder: ", name,
           ": header says ", h, "x", w, " (HxW); each side must be in 1..", kImageMaxSide);
  const int C = channels ? int(channels) : (comp <= 2 ? 1 : 3);
  std::unique_ptr<unsigned char, StbFree> px(
      stbi_load_from_memory(bytes, int(size), &w, &h, &comp, C));
  NF_CHECK(px != nullptr, "image_folder: ", name, ": cannot decode: ", stbi_failure_reason());
  // stb gives interleaved HWC; the tensor wants planar CHW.
  Tensor out = empty({C, h, w}, {DType::u8});
  uint8_t* dst = out.data<uint8_t>();
  const int64_t plane = int64_t(h) * w;
  for (int64_t p = 0; p < plane; ++p)
    for (int ch = 0; ch < C; ++ch) dst[ch * plane + p] = px.get()[p * C + ch];
  return out;
}

std::shared_ptr<TensorDataset> load_image_folder(const std::string& root,
                                                 const ImageFolderOptions& opts) {
  NF_CHECK(opts.channels == 0 || opts.channels == 1 || opts.channels == 3,
           "image_folder: channels must be 0 (from the first image), 1 or 3, got ", opts.channels);
  std::error_code ec;
  NF_CHECK(fs::is_directory(root, ec), "image_folder: ", root, ": not a directory");

  // Pass 1: the class folders and their files, validated by name.
  std::vector<std::string> classes;
  std::vector<std::pair<fs::path, int64_t>> files;  // (path, label)
  for (const fs::path& entry : sorted_entries(root)) {
    if (!fs::is_directory(entry, ec))
      continue;  // loose files in root (README, ...) are not classes
    const int64_t label = int64_t(classes.size());
    classes.push_back(entry.filename().string());
    size_t before = files.size();
    for (const fs::path& f : sorted_entries(entry)) {
      NF_CHECK(fs::is_regular_file(f, ec), "image_folder: ", f.string(),
               ": expected only image files in a class folder");
      NF_CHECK(is_image_name(f), "image_folder: ", f.string(),
               ": not an image file (expected .png, .jpg, .jpeg or .bmp)");
      files.emplace_back(f, label);
    }
    NF_CHECK(files.size() > before, "image_folder: ", entry.string(),
             ": class folder has no images");
  }
  NF_CHECK(!classes.empty(), "image_folder: ", root,
           ": no class sub-folders (expected root/<class>/<image>)");

  // Pass 2: the first image, really decoded, fixes the size and (unless given)
  // the channel count before the [N,C,H,W] tensor is allocated; every image
  // then goes into its slot.
  auto decode_file = [](const fs::path& path, int64_t channels) {
    std::vector<unsigned char> bytes = read_file(path);
    return decode_image(bytes.data(), bytes.size(), channels, path.string());
  };
  const std::string first = files[0].first.string();
  Tensor first_image = decode_file(files[0].first, opts.channels);
  const int64_t C = first_image.shape()[0], H = first_image.shape()[1], W = first_image.shape()[2];
  const int64_t N = int64_t(files.size());
  Tensor images = empty({N, C, H, W}, {DType::u8});
  std::vector<int64_t> labels(files.size());
  uint8_t* out = images.data<uint8_t>();
  const int64_t per_image = C * H * W;
  for (int64_t n = 0; n < N; ++n) {
    const std::string path = files[size_t(n)].first.string();
    Tensor img = n == 0 ? first_image : decode_file(files[size_t(n)].first, C);
    const int64_t h = img.shape()[1], w = img.shape()[2];
    NF_CHECK(w == W && h == H, "image_folder: ", path, " is ", h, "x", w, " (HxW) but ", first,
             " is ", H, "x", W, "; all images must have one size");
    std::memcpy(out + n * per_image, img.data<uint8_t>(), size_t(per_image));
    labels[size_t(n)] = files[size_t(n)].second;
  }
  const int64_t num_classes = int64_t(classes.size());
  return std::make_shared<TensorDataset>(images, from_vector(labels, {N}), num_classes,
                                         std::move(classes));
}

}  // namespace nf::data
