#include "data/transforms.h"

#include <algorithm>

#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf::data {

namespace {

// Checks that x is an f32 image [C,H,W] or batch [B,C,H,W].
void check_image(const char* op, const Tensor& x) {
  NF_CHECK(x.defined(), op, ": undefined input");
  NF_CHECK(x.dim() == 3 || x.dim() == 4, op,
           ": expected an image [C,H,W] or a batch [B,C,H,W], got ", shape_str(x.shape()));
  NF_CHECK(x.dtype() == DType::f32, op, ": expected f32 pixels, got ", dtype_name(x.dtype()),
           " (convert with to_float first)");
}

// The images of x as [C,H,W] views: x itself, or each x[b] of a batch.
std::vector<Tensor> images_of(const Tensor& x) {
  if (x.dim() == 3) return {x};
  std::vector<Tensor> out;
  out.reserve(size_t(x.size(0)));
  for (int64_t b = 0; b < x.size(0); ++b) out.push_back(raw::select(x, 0, b));
  return out;
}

// Per-channel constants as a [C,1,1] f32 tensor (broadcasts over [B,]C,H,W).
Tensor channel_tensor(const char* what, const std::vector<double>& v, int64_t channels) {
  NF_CHECK(int64_t(v.size()) == channels || v.size() == 1, "normalize: ", v.size(), " ", what,
           " values for ", channels, " channels (give one per channel, or one for all)");
  std::vector<float> f(static_cast<size_t>(channels));
  for (int64_t c = 0; c < channels; ++c) f[size_t(c)] = float(v.size() == 1 ? v[0] : v[size_t(c)]);
  return from_vector(f, {channels, 1, 1}, Device::cpu());
}

// Writes the padded-coordinate window (top, left) of one image src [C,H,W]
// into dst [C,h,w], which must already be zero.
void copy_window(const Tensor& src, const Tensor& dst, int64_t padding, int64_t top, int64_t left) {
  const int64_t H = src.size(1), W = src.size(2), h = dst.size(1), w = dst.size(2);
  // Output row i reads source row top + i - padding; keep the rows inside [0, H).
  int64_t r0 = std::max<int64_t>(0, padding - top), r1 = std::min(h, H + padding - top);
  int64_t c0 = std::max<int64_t>(0, padding - left), c1 = std::min(w, W + padding - left);
  if (r0 >= r1 || c0 >= c1) return;
  Tensor d = raw::narrow(raw::narrow(dst, 1, r0, r1 - r0), 2, c0, c1 - c0);
  Tensor s = raw::narrow(raw::narrow(src, 1, top + r0 - padding, r1 - r0), 2, left + c0 - padding,
                         c1 - c0);
  raw::copy_(d, s);
}

void check_window(const char* op, const Tensor& x, int64_t padding, int64_t height, int64_t width) {
  NF_CHECK(padding >= 0, op, ": padding must be non-negative, got ", padding);
  NF_CHECK(height > 0 && width > 0, op, ": crop size must be positive, got ", height, "x", width);
  const int64_t H = x.size(-2), W = x.size(-1);
  NF_CHECK(height <= H + 2 * padding && width <= W + 2 * padding, op, ": crop ", height, "x", width,
           " is larger than the ", H, "x", W, " image padded by ", padding);
}

// Zeroes the clipped rectangle of one image [C,H,W] in place.
void erase_image(const Tensor& img, int64_t top, int64_t left, int64_t height, int64_t width) {
  const int64_t H = img.size(1), W = img.size(2);
  int64_t r0 = std::clamp<int64_t>(top, 0, H), r1 = std::clamp<int64_t>(top + height, 0, H);
  int64_t c0 = std::clamp<int64_t>(left, 0, W), c1 = std::clamp<int64_t>(left + width, 0, W);
  if (r0 >= r1 || c0 >= c1) return;
  raw::fill_(raw::narrow(raw::narrow(img, 1, r0, r1 - r0), 2, c0, c1 - c0), 0.0);
}

}  // namespace

Tensor to_float(const Tensor& x) {
  NF_CHECK(x.defined(), "to_float: undefined input");
  if (x.dtype() == DType::f32) return x;
  NF_CHECK(x.dtype() == DType::u8, "to_float: expected u8 or f32 pixels, got ",
           dtype_name(x.dtype()));
  // A true division (not a multiply by 1/255) so that 255 maps to exactly 1.
  return raw::div(raw::cast(x, DType::f32), scalar_tensor(255.0));
}

Tensor normalize(const Tensor& x, const std::vector<double>& mean,
                 const std::vector<double>& stddev) {
  check_image("normalize", x);
  const int64_t C = x.size(-3);
  for (double s : stddev) NF_CHECK(s != 0.0, "normalize: std must be non-zero");
  return raw::div(raw::sub(x, channel_tensor("mean", mean, C)), channel_tensor("std", stddev, C));
}

Tensor hflip(const Tensor& x) {
  check_image("hflip", x);
  const int64_t W = x.size(-1);
  Tensor reversed = arange(double(W - 1), -1.0, -1.0);  // i64 [W]: W-1, ..., 0
  return raw::index_select(x, x.dim() - 1, reversed);
}

Tensor pad_crop(const Tensor& x, int64_t padding, int64_t top, int64_t left, int64_t height,
                int64_t width) {
  check_image("pad_crop", x);
  check_window("pad_crop", x, padding, height, width);
  const int64_t H = x.size(-2), W = x.size(-1);
  NF_CHECK(
      top >= 0 && left >= 0 && top + height <= H + 2 * padding && left + width <= W + 2 * padding,
      "pad_crop: window at (", top, ",", left, ") of ", height, "x", width, " leaves the ", H, "x",
      W, " image padded by ", padding);
  Shape shape = x.shape();
  shape[shape.size() - 2] = height;
  shape[shape.size() - 1] = width;
  Tensor out = zeros(shape);
  std::vector<Tensor> src = images_of(x), dst = images_of(out);
  for (size_t i = 0; i < src.size(); ++i) copy_window(src[i], dst[i], padding, top, left);
  return out;
}

Tensor erase(const Tensor& x, int64_t top, int64_t left, int64_t height, int64_t width) {
  check_image("erase", x);
  NF_CHECK(height >= 0 && width >= 0, "erase: size must be non-negative, got ", height, "x", width);
  Tensor out = raw::clone(x);
  for (const Tensor& img : images_of(out)) erase_image(img, top, left, height, width);
  return out;
}

Tensor random_crop(const Tensor& x, int64_t height, int64_t width, int64_t padding,
                   Generator& gen) {
  check_image("random_crop", x);
  check_window("random_crop", x, padding, height, width);
  const int64_t H = x.size(-2), W = x.size(-1);
  Shape shape = x.shape();
  shape[shape.size() - 2] = height;
  shape[shape.size() - 1] = width;
  Tensor out = zeros(shape);
  std::vector<Tensor> src = images_of(x), dst = images_of(out);
  for (size_t i = 0; i < src.size(); ++i) {
    int64_t top = gen.randint(H + 2 * padding - height + 1);
    int64_t left = gen.randint(W + 2 * padding - width + 1);
    copy_window(src[i], dst[i], padding, top, left);
  }
  return out;
}

Tensor random_hflip(const Tensor& x, Generator& gen, double p) {
  check_image("random_hflip", x);
  NF_CHECK(p >= 0.0 && p <= 1.0, "random_hflip: probability must be in [0, 1], got ", p);
  Tensor out = raw::clone(x);
  std::vector<Tensor> src = images_of(x), dst = images_of(out);
  for (size_t i = 0; i < src.size(); ++i)
    if (gen.uniform() < p) raw::copy_(dst[i], hflip(src[i]));
  return out;
}

Tensor cutout(const Tensor& x, int64_t size, Generator& gen) {
  check_image("cutout", x);
  NF_CHECK(size > 0, "cutout: size must be positive, got ", size);
  const int64_t H = x.size(-2), W = x.size(-1);
  Tensor out = raw::clone(x);
  for (const Tensor& img : images_of(out)) {
    int64_t cy = gen.randint(H), cx = gen.randint(W);
    erase_image(img, cy - size / 2, cx - size / 2, size, size);
  }
  return out;
}

namespace transforms {

Transform Normalize(std::vector<double> mean, std::vector<double> stddev) {
  return [mean = std::move(mean), stddev = std::move(stddev)](const Tensor& x, Generator&) {
    return normalize(x, mean, stddev);
  };
}

Transform RandomCrop(int64_t size, int64_t padding) {
  return [size, padding](const Tensor& x, Generator& gen) {
    return random_crop(x, size, size, padding, gen);
  };
}

Transform RandomHorizontalFlip(double p) {
  return [p](const Tensor& x, Generator& gen) { return random_hflip(x, gen, p); };
}

Transform Cutout(int64_t size) {
  return [size](const Tensor& x, Generator& gen) { return cutout(x, size, gen); };
}

Transform Compose(std::vector<Transform> steps) {
  return [steps = std::move(steps)](const Tensor& x, Generator& gen) {
    Tensor y = x;
    for (const Transform& step : steps) y = step(y, gen);
    return y;
  };
}

}  // namespace transforms

}  // namespace nf::data
