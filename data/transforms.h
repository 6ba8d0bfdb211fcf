// Image transforms on f32 tensors, either one image [C,H,W] or a batch
// [B,C,H,W]. Random transforms draw from the given nf::Generator only, a fixed
// number of draws per image in image order, so a seed reproduces a run; on a
// batch every image gets its own draws (its own crop offset, flip, square).
//
// The deterministic building blocks (hflip, pad_crop, erase) are exposed for
// tests and for callers that pick the parameters themselves.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "tensor/random.h"
#include "tensor/tensor.h"

namespace nf::data {

// u8 pixels -> f32 in [0,1] (x / 255). An f32 tensor is returned as is.
Tensor to_float(const Tensor& x);

// (x - mean[c]) / std[c] per channel; mean/std hold C values (or one for all).
Tensor normalize(const Tensor& x, const std::vector<double>& mean,
                 const std::vector<double>& stddev);

// Mirrors the last (width) dimension.
Tensor hflip(const Tensor& x);

// Zero-pads H and W by `padding` on every side, then takes the height x width
// window whose top-left corner is (top, left) in padded coordinates.
Tensor pad_crop(const Tensor& x, int64_t padding, int64_t top, int64_t left, int64_t height,
                int64_t width);

// Zeroes rows [top, top+height) and columns [left, left+width), clipped to the image.
Tensor erase(const Tensor& x, int64_t top, int64_t left, int64_t height, int64_t width);

// pad_crop at a uniformly random corner (two draws per image).
Tensor random_crop(const Tensor& x, int64_t height, int64_t width, int64_t padding, Generator& gen);
// hflip with probability p (one draw per image).
Tensor random_hflip(const Tensor& x, Generator& gen, double p = 0.5);
// Cutout (DeVries & Taylor 2017): zeroes a size x size square centred at a
// uniformly random pixel, clipped at the borders (two draws per image).
Tensor cutout(const Tensor& x, int64_t size, Generator& gen);

// A transform as the DataLoader applies it to each batch.
using Transform = std::function<Tensor(const Tensor& x, Generator& gen)>;

// torchvision-style builders.
namespace transforms {
Transform Normalize(std::vector<double> mean, std::vector<double> stddev);
Transform RandomCrop(int64_t size, int64_t padding);
Transform RandomHorizontalFlip(double p = 0.5);
Transform Cutout(int64_t size);
Transform Compose(std::vector<Transform> steps);  // applied in order
}  // namespace transforms

}  // namespace nf::data
