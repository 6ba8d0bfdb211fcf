// Image-folder dataset: PNG/BMP written with stb_image_write, read back
// exactly; class order; channel choice; size mismatch, non-image and
// undecodable files with their messages.
#include <gtest/gtest.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

#include "data/image_folder.h"
#include "test_data_util.h"

using namespace nf;
using namespace nf::data;
using nf::data::testing::error_of;
using nf::data::testing::TempDir;
using nf::data::testing::write_bytes;

namespace {

// Interleaved HWC pixels with values depending on (seed, position).
std::vector<uint8_t> make_pixels(int h, int w, int c, int seed) {
  std::vector<uint8_t> px(size_t(h * w * c));
  for (size_t i = 0; i < px.size(); ++i) px[i] = uint8_t((int(i) * 29 + seed * 53) % 256);
  return px;
}

void write_png(const std::string& path, int h, int w, int c, const std::vector<uint8_t>& px) {
  ASSERT_TRUE(stbi_write_png(path.c_str(), w, h, c, px.data(), w * c)) << path;
}
void write_bmp(const std::string& path, int h, int w, int c, const std::vector<uint8_t>& px) {
  ASSERT_TRUE(stbi_write_bmp(path.c_str(), w, h, c, px.data())) << path;
}

// HWC -> CHW, as the dataset stores images.
std::vector<uint8_t> planar(const std::vector<uint8_t>& hwc, int h, int w, int c) {
  std::vector<uint8_t> out(hwc.size());
  for (int p = 0; p < h * w; ++p)
    for (int ch = 0; ch < c; ++ch) out[size_t(ch * h * w + p)] = hwc[size_t(p * c + ch)];
  return out;
}

std::vector<uint8_t> image_bytes(const TensorDataset& ds, int64_t n) {
  std::vector<uint8_t> all = ds.images().to_vector<uint8_t>();
  int64_t per = ds.images().numel() / ds.size();
  return {all.begin() + n * per, all.begin() + (n + 1) * per};
}

}  // namespace

TEST(ImageFolder, GrayPngAndBmpExactWithSortedClasses) {
  TempDir dir;
  auto a = make_pixels(4, 5, 1, 1), b = make_pixels(4, 5, 1, 2), c = make_pixels(4, 5, 1, 3);
  // Class folders are sorted by name: "bird" = 0, "cat" = 1.
  write_png(dir.file("cat/x.png"), 4, 5, 1, a);
  write_bmp(dir.file("cat/y.BMP"), 4, 5, 1, b);  // stb writes 24-bit BMP; gray decodes exactly
  write_png(dir.file("bird/z.png"), 4, 5, 1, c);
  write_bytes(dir.file("cat/.hidden"), {1, 2, 3});  // ignored
  write_bytes(dir.file("README"), {1});             // loose file in root: not a class

  auto ds = load_image_folder(dir.str());
  ASSERT_EQ(ds->size(), 3);
  EXPECT_EQ(ds->images().shape(), (Shape{3, 1, 4, 5}));
  EXPECT_EQ(ds->class_names(), (std::vector<std::string>{"bird", "cat"}));
  EXPECT_EQ(ds->labels().to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(image_bytes(*ds, 0), c);
  EXPECT_EQ(image_bytes(*ds, 1), a);
  EXPECT_EQ(image_bytes(*ds, 2), b);
}

TEST(ImageFolder, RgbIsPlanarAndChannelsCanBeForced) {
  TempDir dir;
  auto rgb = make_pixels(3, 2, 3, 7), rgba = make_pixels(3, 2, 4, 8);
  write_png(dir.file("a/0.png"), 3, 2, 3, rgb);
  write_png(dir.file("b/1.png"), 3, 2, 4, rgba);
  auto ds = load_image_folder(dir.str());
  EXPECT_EQ(ds->images().shape(), (Shape{2, 3, 3, 2}));
  EXPECT_EQ(image_bytes(*ds, 0), planar(rgb, 3, 2, 3));
  std::vector<uint8_t> rgb_of_rgba;  // alpha dropped
  for (size_t i = 0; i < rgba.size(); ++i)
    if (i % 4 != 3) rgb_of_rgba.push_back(rgba[i]);
  EXPECT_EQ(image_bytes(*ds, 1), planar(rgb_of_rgba, 3, 2, 3));

  TempDir gray;
  auto g = make_pixels(2, 2, 1, 4);
  write_png(gray.file("only/g.png"), 2, 2, 1, g);
  auto forced = load_image_folder(gray.str(), {.channels = 3});
  EXPECT_EQ(forced->images().shape(), (Shape{1, 3, 2, 2}));
  std::vector<uint8_t> expect;
  for (int ch = 0; ch < 3; ++ch) expect.insert(expect.end(), g.begin(), g.end());
  EXPECT_EQ(image_bytes(*forced, 0), expect);
}

TEST(ImageFolder, JpegDecodesApproximately) {
  TempDir dir;
  std::vector<uint8_t> flat(8 * 8 * 3);
  for (size_t i = 0; i < flat.size(); ++i) flat[i] = i % 3 == 0 ? 200 : (i % 3 == 1 ? 100 : 50);
  std::string path = dir.file("c/flat.jpeg");
  ASSERT_TRUE(stbi_write_jpg(path.c_str(), 8, 8, 3, flat.data(), 100));
  auto ds = load_image_folder(dir.str());
  EXPECT_EQ(ds->images().shape(), (Shape{1, 3, 8, 8}));
  std::vector<uint8_t> got = image_bytes(*ds, 0);
  for (size_t i = 0; i < got.size(); ++i) {
    int expect = i < 64 ? 200 : (i < 128 ? 100 : 50);  // planar R, G, B
    EXPECT_NEAR(int(got[i]), expect, 3) << i;
  }
}

TEST(ImageFolder, SizeMismatchNamesBothFiles) {
  TempDir dir;
  std::string first = dir.file("a/0.png"), odd = dir.file("b/1.png");
  write_png(first, 4, 4, 1, make_pixels(4, 4, 1, 0));
  write_png(odd, 4, 5, 1, make_pixels(4, 5, 1, 0));
  EXPECT_EQ(error_of([&] { load_image_folder(dir.str()); }),
            "image_folder: " + odd + " is 4x5 (HxW) but " + first +
                " is 4x4; all images must have one size");
}

TEST(ImageFolder, NonImageAndUndecodableFiles) {
  TempDir dir;
  write_png(dir.file("a/0.png"), 2, 2, 1, make_pixels(2, 2, 1, 0));
  std::string txt = dir.file("a/notes.txt");
  write_bytes(txt, {'h', 'i'});
  EXPECT_EQ(error_of([&] { load_image_folder(dir.str()); }),
            "image_folder: " + txt + ": not an image file (expected .png, .jpg, .jpeg or .bmp)");
  std::filesystem::remove(txt);

  std::string bad = dir.file("a/1.png");
  write_bytes(bad, {'n', 'o', 't', ' ', 'a', ' ', 'p', 'n', 'g'});
  std::string msg = error_of([&] { load_image_folder(dir.str()); });
  EXPECT_EQ(msg.rfind("image_folder: " + bad + ": cannot decode: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("corrupt"), std::string::npos) << msg;  // stb's reason
}

TEST(ImageFolder, EmptyLayoutsAreErrors) {
  TempDir dir;
  EXPECT_EQ(
      error_of([&] { load_image_folder(dir.str()); }),
      "image_folder: " + dir.str() + ": no class sub-folders (expected root/<class>/<image>)");
  std::filesystem::create_directories(dir.str() + "/empty");
  EXPECT_EQ(error_of([&] { load_image_folder(dir.str()); }),
            "image_folder: " + dir.str() + "/empty: class folder has no images");
  EXPECT_EQ(error_of([&] { load_image_folder(dir.str() + "/nope"); }),
            "image_folder: " + dir.str() + "/nope: not a directory");
  EXPECT_EQ(error_of([&] { load_image_folder(dir.str(), {.channels = 2}); }),
            "image_folder: channels must be 0 (from the first image), 1 or 3, got 2");
}

// A PNG of 33 bytes can claim 20000x20000 pixels: the claim is refused from
// the header, before the decoder or the dataset allocates for it.
TEST(ImageFolder, HugeHeaderClaimIsRefusedBeforeAllocating) {
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',  // signature
                              0, 0, 0, 13, 'I', 'H', 'D', 'R',                // IHDR, 13 bytes
                              0, 0, 0x4e, 0x20, 0, 0, 0x4e, 0x20,             // 20000 x 20000
                              8, 0, 0, 0, 0,                                  // 8-bit gray
                              0, 0, 0, 0};                                    // CRC (stb skips it)
  EXPECT_EQ(error_of([&] { decode_image(png.data(), png.size(), 0, "huge.png"); }),
            "image_folder: huge.png: header says 20000x20000 (HxW); each side must be in 1..4096");
  TempDir dir;
  std::string path = dir.file("a/huge.png");
  write_bytes(path, png);
  EXPECT_EQ(error_of([&] { load_image_folder(dir.str()); }),
            "image_folder: " + path + ": header says 20000x20000 (HxW); each side must be in 1..4096");
}

TEST(ImageFolder, DecodeImageFromMemoryIsPlanar) {
  std::string png;
  auto px = make_pixels(3, 2, 3, 5);
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size_t(size));
  };
  ASSERT_TRUE(stbi_write_png_to_func(sink, &png, 2, 3, 3, px.data(), 2 * 3));
  const auto* bytes = reinterpret_cast<const unsigned char*>(png.data());
  Tensor rgb = decode_image(bytes, png.size(), 0, "mem.png");
  EXPECT_EQ(rgb.shape(), (Shape{3, 3, 2}));
  EXPECT_EQ(rgb.to_vector<uint8_t>(), planar(px, 3, 2, 3));
  EXPECT_EQ(decode_image(bytes, png.size(), 1, "mem.png").shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(error_of([&] { decode_image(bytes, 7, 0, "cut.png"); }).rfind("image_folder: cut.png: cannot decode: ", 0),
            0u);
}

// Found by fuzz/fuzz_image: a JPEG Huffman table with more than 256 codes made
// Debian's stb_image (2.27) write past its code-length list (data/jpeg_guard.h).
TEST(ImageFolder, JpegHuffmanTableWithTooManyCodesIsRefused) {
  std::vector<uint8_t> jpg = {0xFF, 0xD8, 0xFF, 0xC4, 0x01, 0x14, 0x00, 255, 2};  // DHT: 255 + 2 codes
  jpg.resize(jpg.size() + 14, 0);                                                // the other 14 counts
  jpg.resize(jpg.size() + 257, 7);                                               // the 257 symbols
  jpg.insert(jpg.end(), {0xFF, 0xD9});
  EXPECT_EQ(error_of([&] { decode_image(jpg.data(), jpg.size(), 0, "bad.jpg"); }),
            "image_folder: bad.jpg: cannot decode: corrupt JPEG (Huffman table with 257 codes, at most 256)");
  // The same table cut short: stb reads zeros past the end, so the counts still decide.
  std::vector<uint8_t> cut(jpg.begin(), jpg.begin() + 9);
  EXPECT_EQ(error_of([&] { decode_image(cut.data(), cut.size(), 0, "cut.jpg"); }),
            "image_folder: cut.jpg: cannot decode: corrupt JPEG (Huffman table with 257 codes, at most 256)");
}

// Found by fuzz/fuzz_image (UBSan: stb copies 0 bytes from a null buffer): an
// empty first IDAT chunk is valid PNG and decodes to the same pixels.
TEST(ImageFolder, PngWithEmptyFirstIdatDecodes) {
  std::string png;
  auto px = make_pixels(4, 5, 1, 3);
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size_t(size));
  };
  ASSERT_TRUE(stbi_write_png_to_func(sink, &png, 5, 4, 1, px.data(), 5));
  const size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  png.insert(idat - 4, std::string("\0\0\0\0IDAT\x35\xaf\x06\x1e", 12));  // length 0, type, CRC
  const auto* bytes = reinterpret_cast<const unsigned char*>(png.data());
  EXPECT_EQ(decode_image(bytes, png.size(), 0, "empty_idat.png").to_vector<uint8_t>(), px);
}
