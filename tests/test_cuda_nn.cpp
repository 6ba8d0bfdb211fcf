// CUDA pooling, batch norm, softmax / log-softmax and NLL against the CPU
// backend (values, max-pool indices with ties and NaN, running statistics,
// error messages), then gradient parity through autograd on a small net
// (conv -> batch norm -> relu -> max pool -> linear -> cross entropy): the
// same weights on CPU and CUDA must give the same loss and .grad(). Skips
// itself without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cpu_kernel_check.h"
#include "cuda/device.h"
#include "nn/nn.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

using nf::Device;
using nf::DType;
using nf::PoolParams;
using nf::Tensor;
namespace raw = nf::raw;

const Device kCuda = Device::cuda(0);

class CudaNn : public ::testing::Test {
 protected:
  void SetUp() override {
    if (nf::cuda::device_count() == 0)
      GTEST_SKIP() << "no CUDA device: " << nf::cuda::no_device_reason();
  }
};

Tensor gpu(const Tensor& t) { return t.defined() ? raw::to_device(t, kCuda) : t; }

template <typename T>
Tensor random_of(const nf::Shape& s, std::mt19937_64& rng, double lo = -1.0, double hi = 1.0) {
  return nf::testing::random_tensor<T>(s, rng, lo, hi);
}

// Small integers (many ties inside each window), as dtype T.
template <typename T>
Tensor integer_tensor(const nf::Shape& s, std::mt19937_64& rng, int levels) {
  std::uniform_int_distribution<int> dist(0, levels - 1);
  std::vector<T> v(nf::shape_numel(s));
  for (auto& e : v) e = static_cast<T>(dist(rng));
  return nf::from_vector<T>(v, s);
}

const PoolParams kPools[] = {
    {2, 2, 2, 2, 0, 0},  // MaxPool2d(2)
    {3, 3, 1, 1, 1, 1},  // DARTS max/avg_pool_3x3, stride 1
    {3, 3, 2, 2, 1, 1},  // the same in a reduction cell
    {3, 2, 2, 1, 1, 0},  // rectangular
};

template <typename T>
void check_max_pool(const Tensor& x, const PoolParams& p, std::mt19937_64& rng,
                    const std::string& what) {
  const auto [want, want_idx] = raw::max_pool2d(x, p);
  const auto [got, got_idx] = raw::max_pool2d(gpu(x), p);
  nf::testing::expect_equal(got, want, "max_pool2d " + what);
  nf::testing::expect_equal(got_idx, want_idx, "max_pool2d indices " + what);
  const Tensor g = random_of<T>(want.shape(), rng);
  nf::testing::expect_close(raw::max_pool2d_backward(gpu(g), got_idx, x.shape()),
                            raw::max_pool2d_backward(g, want_idx, x.shape()),
                            nf::testing::tolerance<T>(), "max_pool2d_backward " + what);
}

TEST_F(CudaNn, MaxPoolValuesIndicesAndGradients) {
  std::mt19937_64 rng(31);
  for (const PoolParams& p : kPools) {
    const std::string k = std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w) + "/s" +
                          std::to_string(p.stride_h) + "/p" + std::to_string(p.pad_h);
    check_max_pool<float>(random_of<float>({2, 3, 9, 11}, rng), p, rng, "random f32 " + k);
    check_max_pool<double>(random_of<double>({2, 3, 9, 11}, rng), p, rng, "random f64 " + k);
    // Ties: the first maximum of the window (row-major) wins, as on the CPU.
    check_max_pool<float>(integer_tensor<float>({2, 2, 7, 8}, rng, 3), p, rng, "ties " + k);
  }
}

TEST_F(CudaNn, MaxPoolNanWinsLikeCpu) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> v(1 * 1 * 4 * 4, 1.f);
  v[5] = nan;   // window (0,0) of a 2x2/2 pool: NaN wins
  v[2] = 9.f;   // window (0,1): plain max
  v[10] = nan;  // window (1,1): two NaNs, the last one wins
  v[15] = nan;
  const Tensor x = nf::from_vector(v, {1, 1, 4, 4});
  const auto [want, want_idx] = raw::max_pool2d(x, {2, 2, 2, 2, 0, 0});
  const auto [got, got_idx] = raw::max_pool2d(gpu(x), {2, 2, 2, 2, 0, 0});
  EXPECT_EQ(got_idx.to_vector<int64_t>(), want_idx.to_vector<int64_t>());
  EXPECT_EQ(got_idx.to_vector<int64_t>(), (std::vector<int64_t>{5, 2, 8, 15}));
  const auto gv = got.to_vector<float>(), wv = want.to_vector<float>();
  for (size_t i = 0; i < gv.size(); ++i)
    EXPECT_TRUE(std::isnan(wv[i]) ? std::isnan(gv[i]) : gv[i] == wv[i]) << "at " << i;
}

TEST_F(CudaNn, MaxPoolBackwardRejectsForeignIndices) {
  const Tensor g = nf::ones({1, 1, 2, 2}, {DType::f32, kCuda});
  const Tensor idx = gpu(nf::from_vector(std::vector<int64_t>{0, 1, 99, 2}, {1, 1, 2, 2}));
  nf::testing::expect_error([&] { raw::max_pool2d_backward(g, idx, {1, 1, 4, 4}); },
                            {"max_pool2d_backward: an index lies outside the 4x4 input plane"});
}

TEST_F(CudaNn, AvgPoolExcludesPaddingLikeCpu) {
  std::mt19937_64 rng(32);
  for (const PoolParams& p : kPools) {
    for (int t = 0; t < 2; ++t) {
      const bool f64 = t == 1;
      const Tensor x = f64 ? random_of<double>({2, 3, 9, 11}, rng) : random_of<float>({2, 3, 9, 11}, rng);
      const double tol = f64 ? 1e-12 : 1e-6;
      const Tensor want = raw::avg_pool2d(x, p);
      nf::testing::expect_close(raw::avg_pool2d(gpu(x), p), want, tol, "avg_pool2d");
      const Tensor g = f64 ? random_of<double>(want.shape(), rng) : random_of<float>(want.shape(), rng);
      nf::testing::expect_close(raw::avg_pool2d_backward(gpu(g), x.shape(), p),
                                raw::avg_pool2d_backward(g, x.shape(), p), tol,
                                "avg_pool2d_backward");
    }
  }
}

template <typename T>
void check_batch_norm(const nf::Shape& shape, bool affine, bool training, std::mt19937_64& rng) {
  const int64_t C = shape[1];
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  const std::string what = nf::shape_str(shape) + (affine ? " affine" : "") +
                           (training ? " training " : " eval ") + nf::dtype_name(nf::dtype_of<T>());
  const Tensor x = random_of<T>(shape, rng, -2.0, 3.0);
  const Tensor w = affine ? random_of<T>({C}, rng, 0.5, 1.5) : Tensor{};
  const Tensor b = affine ? random_of<T>({C}, rng) : Tensor{};
  Tensor rm = random_of<T>({C}, rng), rv = random_of<T>({C}, rng, 0.5, 2.0);
  Tensor rm_gpu = gpu(rm), rv_gpu = gpu(rv);
  const auto want = raw::batch_norm(x, w, b, rm, rv, training, 0.1, 1e-5);
  const auto got = raw::batch_norm(gpu(x), gpu(w), gpu(b), rm_gpu, rv_gpu, training, 0.1, 1e-5);
  nf::testing::expect_close(got.out, want.out, tol, "batch_norm out " + what);
  nf::testing::expect_close(got.save_mean, want.save_mean, tol, "save_mean " + what);
  nf::testing::expect_close(got.save_invstd, want.save_invstd, tol, "save_invstd " + what);
  nf::testing::expect_close(rm_gpu, rm, tol, "running_mean " + what);  // updated in place
  nf::testing::expect_close(rv_gpu, rv, tol, "running_var " + what);

  const Tensor g = random_of<T>(shape, rng);
  const auto gw = raw::batch_norm_backward(g, x, w, want.save_mean, want.save_invstd, training);
  const auto gg = raw::batch_norm_backward(gpu(g), gpu(x), gpu(w), got.save_mean, got.save_invstd,
                                           training);
  nf::testing::expect_close(gg.grad_x, gw.grad_x, tol * 10, "grad_x " + what);
  if (affine) {
    nf::testing::expect_close(gg.grad_weight, gw.grad_weight, tol * 10, "grad_weight " + what);
    nf::testing::expect_close(gg.grad_bias, gw.grad_bias, tol * 10, "grad_bias " + what);
  }
}

TEST_F(CudaNn, BatchNormTrainingAndEvalMatchCpu) {
  std::mt19937_64 rng(33);
  for (bool training : {true, false})
    for (bool affine : {true, false}) {
      check_batch_norm<float>({4, 5, 7, 9}, affine, training, rng);
      check_batch_norm<double>({3, 7, 5, 3}, affine, training, rng);
      check_batch_norm<float>({33, 6}, affine, training, rng);  // [N,C]: no spatial dims
    }
}

TEST_F(CudaNn, BatchNormNeedsTwoValuesPerChannelWhenTraining) {
  const Tensor x = nf::ones({1, 3, 1, 1}, {DType::f32, kCuda});
  nf::testing::expect_error(
      [&] { raw::batch_norm(x, Tensor{}, Tensor{}, Tensor{}, Tensor{}, true, 0.1, 1e-5); },
      {"expected more than 1 value per channel when training"});
}

TEST_F(CudaNn, SoftmaxAndLogSoftmaxMatchCpu) {
  std::mt19937_64 rng(34);
  for (int64_t C : {1, 7, 33, 1023}) {
    for (bool f64 : {false, true}) {
      // Large magnitudes: the row max must be subtracted.
      const nf::Shape s{5, C};
      const Tensor x = f64 ? random_of<double>(s, rng, -60, 60) : random_of<float>(s, rng, -60, 60);
      const double tol = f64 ? 1e-12 : 1e-5;
      const std::string what = "C=" + std::to_string(C) + (f64 ? " f64" : " f32");
      const Tensor y = raw::softmax(x, 1), ly = raw::log_softmax(x, 1);
      const Tensor y_gpu = raw::softmax(gpu(x), 1), ly_gpu = raw::log_softmax(gpu(x), 1);
      nf::testing::expect_close(y_gpu, y, tol, "softmax " + what);
      nf::testing::expect_close(ly_gpu, ly, tol, "log_softmax " + what);
      const Tensor g = f64 ? random_of<double>(s, rng) : random_of<float>(s, rng);
      nf::testing::expect_close(raw::softmax_backward(gpu(g), y_gpu, 1, false),
                                raw::softmax_backward(g, y, 1, false), tol, "softmax_backward " + what);
      nf::testing::expect_close(raw::softmax_backward(gpu(g), ly_gpu, 1, true),
                                raw::softmax_backward(g, ly, 1, true), tol,
                                "log_softmax_backward " + what);
    }
  }
  // Along dim 0 of a [9, 4] tensor: the front end moves the dim last.
  const Tensor x = random_of<float>({9, 4}, rng);
  nf::testing::expect_close(raw::softmax(gpu(x), 0), raw::softmax(x, 0), 1e-6, "softmax dim 0");
}

TEST_F(CudaNn, NllLossWithIgnoredRowsMatchesCpu) {
  std::mt19937_64 rng(35);
  const Tensor logp = raw::log_softmax(random_of<float>({6, 7}, rng), 1);
  const Tensor target = nf::from_vector(std::vector<int64_t>{3, -100, 0, 6, 2, -100}, {6});
  const Tensor want = raw::nll_loss(logp, target);
  const Tensor got = raw::nll_loss(gpu(logp), gpu(target));
  EXPECT_NEAR(got.item(), want.item(), 1e-6);
  const Tensor go = nf::full({}, 0.75);
  nf::testing::expect_close(raw::nll_loss_backward(gpu(go), gpu(logp), gpu(target)),
                            raw::nll_loss_backward(go, logp, target), 1e-7, "nll_loss_backward");
  // Every row ignored: NaN, no gradient.
  const Tensor ignored = nf::full({6}, -100.0, {DType::i64});
  EXPECT_TRUE(std::isnan(raw::nll_loss(gpu(logp), gpu(ignored)).item()));
  EXPECT_EQ(raw::nll_loss_backward(gpu(go), gpu(logp), gpu(ignored)).to_vector<float>(),
            std::vector<float>(42, 0.f));
}

TEST_F(CudaNn, NllLossTargetOutOfRangeNamesRowAndValue) {
  const Tensor logp = nf::zeros({3, 4}, {DType::f32, kCuda});
  const Tensor target = gpu(nf::from_vector(std::vector<int64_t>{1, 4, 0}, {3}));
  nf::testing::expect_error([&] { raw::nll_loss(logp, target); },
                            {"nll_loss: target 4 at row 1 is out of range [0,4)"});
}

// The same small CNN on CPU and CUDA: identical initial weights (same seed),
// one forward and backward; loss and every parameter gradient must agree.
TEST_F(CudaNn, SmallNetGradientsMatchCpu) {
  auto make_net = [] {
    nf::manual_seed(7);
    return nf::nn::Sequential(nf::nn::Conv2d(3, 8, 3, {.padding = 1}), nf::nn::BatchNorm2d(8),
                              nf::nn::ReLU(), nf::nn::MaxPool2d(2), nf::nn::Flatten(),
                              nf::nn::Linear(8 * 4 * 5, 10));
  };
  auto cpu_net = make_net();
  auto gpu_net = make_net();
  gpu_net->to(kCuda);
  std::mt19937_64 rng(36);
  const Tensor x = random_of<float>({6, 3, 9, 11}, rng);
  const Tensor y = nf::from_vector(std::vector<int64_t>{0, 3, 9, 1, 3, 7}, {6});

  const Tensor loss_cpu = nf::nn::cross_entropy(cpu_net->forward(x), y);
  const Tensor loss_gpu = nf::nn::cross_entropy(gpu_net->forward(gpu(x)), gpu(y));
  EXPECT_NEAR(loss_gpu.item(), loss_cpu.item(), 1e-5);
  loss_cpu.backward();
  loss_gpu.backward();

  const auto pc = cpu_net->named_parameters(), pg = gpu_net->named_parameters();
  ASSERT_EQ(pc.size(), pg.size());
  for (size_t i = 0; i < pc.size(); ++i) {
    ASSERT_TRUE(pg[i].second.grad().defined()) << pg[i].first;
    EXPECT_TRUE(pg[i].second.grad().device() == kCuda) << pg[i].first;
    nf::testing::expect_close(pg[i].second.grad(), pc[i].second.grad(), 1e-4,
                              "grad of " + pc[i].first);
  }
}

}  // namespace
