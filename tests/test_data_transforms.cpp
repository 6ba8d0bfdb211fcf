// Transforms on known values (flip, crop with padding, normalize, erase) and
// the random ones: reproducible per seed, each result one of the allowed
// deterministic outcomes, independent draws per image of a batch.
#include <gtest/gtest.h>

#include <set>

#include "data/transforms.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "test_data_util.h"

using namespace nf;
using namespace nf::data;
using nf::data::testing::error_of;

namespace {

Tensor f32(const std::vector<float>& v, const Shape& shape) { return from_vector(v, shape); }

// [C,H,W] with value 1 + index (never 0, so zero padding is visible).
Tensor counting(const Shape& shape) {
  std::vector<float> v(size_t(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i + 1);
  return f32(v, shape);
}

std::vector<float> values(const Tensor& t) { return t.to_vector<float>(); }

}  // namespace

TEST(Transforms, ToFloatScalesBytes) {
  Tensor x = from_vector(std::vector<uint8_t>{0, 1, 128, 255}, {1, 2, 2});
  Tensor y = to_float(x);
  EXPECT_EQ(y.dtype(), DType::f32);
  EXPECT_EQ(values(y), (std::vector<float>{0.0f, 1.0f / 255.0f, 128.0f / 255.0f, 1.0f}));
  Tensor z = counting({1, 2, 2});
  EXPECT_TRUE(to_float(z).same_data(z));
  EXPECT_EQ(error_of([] { to_float(zeros({2}, {DType::i64})); }),
            "to_float: expected u8 or f32 pixels, got i64");
}

TEST(Transforms, HflipMirrorsWidth) {
  Tensor x = counting({2, 2, 3});  // channels [[1,2,3],[4,5,6]] and [[7,8,9],[10,11,12]]
  EXPECT_EQ(values(hflip(x)), (std::vector<float>{3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10}));
  Tensor batch = counting({2, 1, 1, 2});
  EXPECT_EQ(values(hflip(batch)), (std::vector<float>{2, 1, 4, 3}));
  EXPECT_EQ(values(hflip(hflip(x))), values(x));
}

TEST(Transforms, PadCropKnownWindows) {
  Tensor x = counting({1, 2, 2});  // [[1,2],[3,4]], padded by 1 to 4x4
  EXPECT_EQ(values(pad_crop(x, 1, 0, 0, 2, 2)), (std::vector<float>{0, 0, 0, 1}));
  EXPECT_EQ(values(pad_crop(x, 1, 1, 1, 2, 2)), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(values(pad_crop(x, 1, 2, 2, 2, 2)), (std::vector<float>{4, 0, 0, 0}));
  EXPECT_EQ(values(pad_crop(x, 1, 0, 1, 3, 2)), (std::vector<float>{0, 0, 1, 2, 3, 4}));
  EXPECT_EQ(values(pad_crop(x, 1, 0, 0, 4, 4)),
            (std::vector<float>{0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0}));
  // Without padding it is a plain crop; channels move together.
  Tensor y = counting({2, 3, 3});
  EXPECT_EQ(values(pad_crop(y, 0, 1, 0, 2, 2)), (std::vector<float>{4, 5, 7, 8, 13, 14, 16, 17}));
  // A batch: the same window for every image.
  Tensor b = counting({2, 1, 2, 2});
  EXPECT_EQ(values(pad_crop(b, 1, 2, 2, 2, 2)), (std::vector<float>{4, 0, 0, 0, 8, 0, 0, 0}));
  EXPECT_EQ(error_of([&] { pad_crop(x, 1, 3, 0, 2, 2); }),
            "pad_crop: window at (3,0) of 2x2 leaves the 2x2 image padded by 1");
  EXPECT_EQ(error_of([&] { pad_crop(x, 0, 0, 0, 3, 3); }),
            "pad_crop: crop 3x3 is larger than the 2x2 image padded by 0");
}

TEST(Transforms, NormalizePerChannel) {
  Tensor x = f32({1, 2, 3, 4, 10, 20, 30, 40}, {2, 2, 2});
  EXPECT_EQ(values(normalize(x, {1, 10}, {2, 10})),
            (std::vector<float>{0, 0.5f, 1, 1.5f, 0, 1, 2, 3}));
  Tensor batch = raw::stack({x, x}, 0);
  std::vector<float> once = values(normalize(x, {1, 10}, {2, 10})), twice = once;
  twice.insert(twice.end(), once.begin(), once.end());
  EXPECT_EQ(values(normalize(batch, {1, 10}, {2, 10})), twice);
  EXPECT_EQ(values(normalize(x, {1}, {2})),
            (std::vector<float>{0, 0.5f, 1, 1.5f, 4.5f, 9.5f, 14.5f, 19.5f}));
  EXPECT_EQ(error_of([&] {
              normalize(x, {1, 2, 3}, {1});
            }),
            "normalize: 3 mean values for 2 channels (give one per channel, or one for all)");
  EXPECT_EQ(error_of([&] { normalize(x, {0}, {1, 0}); }), "normalize: std must be non-zero");
  EXPECT_EQ(error_of([] {
              normalize(zeros({1, 2, 2}, {DType::u8}), {0}, {1});
            }),
            "normalize: expected f32 pixels, got u8 (convert with to_float first)");
  EXPECT_EQ(error_of([] {
              normalize(zeros({4, 4}), {0}, {1});
            }),
            "normalize: expected an image [C,H,W] or a batch [B,C,H,W], got [4,4]");
}

TEST(Transforms, EraseClipsToTheImage) {
  Tensor x = counting({1, 3, 3});
  EXPECT_EQ(values(erase(x, 1, 1, 5, 5)), (std::vector<float>{1, 2, 3, 4, 0, 0, 7, 0, 0}));
  EXPECT_EQ(values(erase(x, -1, -1, 2, 2)), (std::vector<float>{0, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(values(erase(x, 5, 5, 2, 2)), values(x));
  EXPECT_EQ(values(x)[4], 5.0f);  // the input is untouched
}

TEST(Transforms, RandomCropIsSomePaddedWindowAndReproducible) {
  Tensor batch = counting({16, 2, 3, 3});
  Generator g1(7), g2(7);
  Tensor a = random_crop(batch, 3, 3, 2, g1), b = random_crop(batch, 3, 3, 2, g2);
  EXPECT_EQ(values(a), values(b));
  EXPECT_EQ(g1.offset(), 32u);  // two draws per image
  std::set<std::pair<int64_t, int64_t>> corners;
  for (int64_t i = 0; i < 16; ++i) {
    Tensor img = raw::select(batch, 0, i), got = raw::select(a, 0, i);
    bool found = false;
    for (int64_t top = 0; top <= 4 && !found; ++top)
      for (int64_t left = 0; left <= 4 && !found; ++left)
        if (values(pad_crop(img, 2, top, left, 3, 3)) == values(got)) {
          found = true;
          corners.insert({top, left});
        }
    EXPECT_TRUE(found) << "image " << i;
  }
  EXPECT_GT(corners.size(), 4u);  // images get their own offsets
}

TEST(Transforms, RandomHflipPerImage) {
  Tensor batch = counting({64, 1, 2, 3});
  Generator g0(1), g1(1), gh(3);
  EXPECT_EQ(values(random_hflip(batch, g0, 0.0)), values(batch));
  EXPECT_EQ(values(random_hflip(batch, g1, 1.0)), values(hflip(batch)));
  Tensor half = random_hflip(batch, gh, 0.5);
  int flipped = 0;
  for (int64_t i = 0; i < 64; ++i) {
    std::vector<float> got = values(raw::select(half, 0, i));
    Tensor img = raw::select(batch, 0, i);
    bool same = got == values(img), mirrored = got == values(hflip(img));
    EXPECT_TRUE(same || mirrored) << i;
    flipped += mirrored;
  }
  EXPECT_GT(flipped, 10);
  EXPECT_LT(flipped, 54);
}

TEST(Transforms, CutoutZeroesOneClippedSquare) {
  Tensor batch = counting({32, 2, 6, 6});
  Generator g(11), again(11);
  Tensor out = cutout(batch, 4, g);
  EXPECT_EQ(values(out), values(cutout(batch, 4, again)));
  for (int64_t i = 0; i < 32; ++i) {
    std::vector<float> got = values(raw::select(out, 0, i)),
                       orig = values(raw::select(batch, 0, i));
    // Same rectangle in both channels; zeros only where erased, and it is at most 4x4.
    int zeros_c0 = 0;
    for (int p = 0; p < 36; ++p) {
      EXPECT_TRUE(got[size_t(p)] == orig[size_t(p)] || got[size_t(p)] == 0.0f);
      EXPECT_EQ(got[size_t(p)] == 0.0f, got[size_t(36 + p)] == 0.0f);
      zeros_c0 += got[size_t(p)] == 0.0f;
    }
    EXPECT_GE(zeros_c0, 4);  // a centre inside the image keeps at least a 2x2 corner
    EXPECT_LE(zeros_c0, 16);
  }
}

TEST(Transforms, ComposeAppliesInOrder) {
  Transform t =
      transforms::Compose({transforms::RandomHorizontalFlip(1.0), transforms::Normalize({1}, {2})});
  Tensor x = counting({1, 1, 3});
  Generator g(0);
  EXPECT_EQ(values(t(x, g)), (std::vector<float>{1, 0.5f, 0}));
  Generator a(5), b(5);
  Transform aug = transforms::Compose({transforms::RandomCrop(3, 1), transforms::Cutout(2)});
  Tensor batch = counting({4, 1, 3, 3});
  EXPECT_EQ(values(aug(batch, a)), values(aug(batch, b)));
}
