// CUDA conv2d (forward, input and weight gradients) against the CPU backend:
// the im2col + GEMM path (plain, strided, dilated, grouped, 1x1 pointwise,
// 1x1 strided) under both the hand GEMM and cuBLAS, and the direct depthwise
// kernels (DARTS sep/dil convs: kernels 3 and 5, stride 1 and 2, dilation 1
// and 2, channel multiplier 1 and 2), in f32 and f64, on odd sizes. Skips
// itself without a device.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>

#include "cpu_kernel_check.h"
#include "cuda/device.h"
#include "cuda/gemm_select.h"
#include "tensor/ops.h"

namespace {

using nf::ConvParams;
using nf::Device;
using nf::DType;
using nf::Tensor;
using nf::cuda::GemmImpl;
namespace raw = nf::raw;

const Device kCuda = Device::cuda(0);

struct Case {
  int64_t N, C, H, W, O, k, stride, pad, dil, groups;
  bool bias;
  std::string str() const {
    std::ostringstream s;
    s << "x[" << N << "," << C << "," << H << "," << W << "] O=" << O << " k=" << k
      << " s=" << stride << " p=" << pad << " d=" << dil << " g=" << groups << (bias ? " bias" : "");
    return s.str();
  }
};

const Case kGemmCases[] = {
    {2, 3, 7, 9, 5, 3, 1, 1, 1, 1, true},     // plain 3x3, odd sizes
    {3, 4, 8, 8, 6, 3, 2, 1, 1, 2, false},    // strided, grouped
    {2, 5, 13, 11, 7, 5, 1, 4, 2, 1, true},   // dilated 5x5, wide padding
    {2, 8, 5, 5, 16, 1, 1, 0, 1, 1, true},    // pointwise: no columns
    {2, 6, 9, 9, 4, 1, 2, 0, 1, 2, false},    // 1x1 stride 2: columns needed
    {1, 3, 33, 33, 7, 3, 2, 0, 1, 1, true},   // larger plane, no padding
    {4, 16, 6, 6, 8, 3, 1, 1, 1, 4, true},    // groups of 4 channels
};

const Case kDepthwiseCases[] = {
    {2, 6, 9, 7, 6, 3, 1, 1, 1, 6, false},    // sep_conv_3x3
    {2, 6, 9, 7, 6, 5, 1, 2, 1, 6, true},     // sep_conv_5x5
    {2, 5, 11, 10, 5, 3, 1, 2, 2, 5, false},  // dil_conv_3x3
    {2, 5, 11, 10, 5, 5, 1, 4, 2, 5, false},  // dil_conv_5x5
    {3, 4, 12, 11, 4, 3, 2, 1, 1, 4, true},   // reduction cell: stride 2
    {2, 4, 12, 12, 4, 5, 2, 4, 2, 4, false},  // stride 2, dilation 2
    {2, 3, 8, 9, 6, 3, 1, 1, 1, 3, true},     // channel multiplier 2
};

class CudaConv : public ::testing::TestWithParam<GemmImpl> {
 protected:
  void SetUp() override {
    if (nf::cuda::device_count() == 0)
      GTEST_SKIP() << "no CUDA device: " << nf::cuda::no_device_reason();
    previous_ = nf::cuda::gemm_impl();
    nf::cuda::set_gemm_impl(GetParam());
  }
  void TearDown() override {
    if (nf::cuda::device_count() > 0) nf::cuda::set_gemm_impl(previous_);
  }
  GemmImpl previous_ = GemmImpl::cublas;
};

template <typename T>
void check_case(const Case& c, std::mt19937_64& rng) {
  const ConvParams p{c.stride, c.stride, c.pad, c.pad, c.dil, c.dil, c.groups};
  const Tensor x = nf::testing::random_tensor<T>({c.N, c.C, c.H, c.W}, rng);
  const Tensor w = nf::testing::random_tensor<T>({c.O, c.C / c.groups, c.k, c.k}, rng);
  const Tensor b = c.bias ? nf::testing::random_tensor<T>({c.O}, rng) : Tensor{};
  const auto gpu = [](const Tensor& t) { return t.defined() ? raw::to_device(t, kCuda) : t; };
  const double tol = nf::testing::tolerance<T>() * 10;
  const std::string what = c.str() + " " + nf::dtype_name(nf::dtype_of<T>());

  const Tensor want = raw::conv2d(x, w, b, p);
  const Tensor got = raw::conv2d(gpu(x), gpu(w), gpu(b), p);
  ASSERT_TRUE(got.device() == kCuda);
  nf::testing::expect_close(got, want, tol, "forward " + what);

  const Tensor g = nf::testing::random_tensor<T>(want.shape(), rng);
  nf::testing::expect_close(raw::conv2d_backward_input(gpu(g), gpu(w), x.shape(), p),
                            raw::conv2d_backward_input(g, w, x.shape(), p), tol,
                            "backward_input " + what);
  nf::testing::expect_close(raw::conv2d_backward_weight(gpu(g), gpu(x), w.shape(), p),
                            raw::conv2d_backward_weight(g, x, w.shape(), p), tol,
                            "backward_weight " + what);
}

TEST_P(CudaConv, Im2colGemmMatchesCpu) {
  std::mt19937_64 rng(21);
  for (const Case& c : kGemmCases) {
    check_case<float>(c, rng);
    check_case<double>(c, rng);
  }
}

TEST_P(CudaConv, DepthwiseMatchesCpu) {
  std::mt19937_64 rng(22);
  for (const Case& c : kDepthwiseCases) {
    check_case<float>(c, rng);
    check_case<double>(c, rng);
  }
}

// A non-contiguous input (a channel slice) goes through the front end's
// contiguous copy and gives the CPU result.
TEST_P(CudaConv, SlicedInput) {
  std::mt19937_64 rng(23);
  const Tensor x = nf::testing::random_tensor<float>({2, 7, 10, 9}, rng);
  const Tensor w = nf::testing::random_tensor<float>({4, 3, 3, 3}, rng);
  const ConvParams p{1, 1, 1, 1, 1, 1, 1};
  const Tensor want = raw::conv2d(raw::slice(x, 1, 2, 5), w, Tensor{}, p);
  const Tensor got =
      raw::conv2d(raw::slice(raw::to_device(x, kCuda), 1, 2, 5), raw::to_device(w, kCuda), Tensor{}, p);
  nf::testing::expect_close(got, want, 1e-4, "sliced input");
}

INSTANTIATE_TEST_SUITE_P(Impl, CudaConv, ::testing::Values(GemmImpl::hand, GemmImpl::cublas),
                         [](const auto& info) { return std::string(nf::cuda::gemm_impl_name(info.param)); });

}  // namespace
