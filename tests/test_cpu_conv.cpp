// CPU conv2d (im2col + GEMM, 1x1 direct, depthwise direct): forward,
// backward-input and backward-weight against the naive 7-loop reference over
// a table of geometries (odd sizes, kernels 1/3/5, stride, padding, dilation,
// groups 1/2/C with channel multiplier 1 and 2, bias on/off, batch 1 and 3,
// plus larger shapes that take the parallel paths), f32 and f64; error
// messages through nf::raw; thread-count independence.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <sstream>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cpu_kernel_check.h"
#include "isa_scope.h"
#include "tensor/cpu/reference.h"
#include "tensor/ops.h"

namespace {

using namespace nf::testing;
using nf::ConvParams;
using nf::Shape;
using nf::Tensor;
namespace raw = nf::raw;

template <typename T>
class CpuConv : public ::testing::Test {};
TYPED_TEST_SUITE(CpuConv, FloatTypes);

struct ConvCase {
  int64_t N, C, H, W, O, KH, KW;
  int64_t sh, sw, ph, pw, dh, dw, groups;
  bool bias;
};

std::string describe(const ConvCase& c) {
  std::ostringstream os;
  os << "x [" << c.N << "," << c.C << "," << c.H << "," << c.W << "] w [" << c.O << ","
     << c.C / c.groups << "," << c.KH << "," << c.KW << "] stride (" << c.sh << "," << c.sw
     << ") pad (" << c.ph << "," << c.pw << ") dilation (" << c.dh << "," << c.dw << ") groups "
     << c.groups << (c.bias ? " bias" : "");
  return os.str();
}

const std::vector<ConvCase> kCases = {
    // N  C  H  W  O KH KW sh sw ph pw dh dw  g  bias
    {1, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},     // plain 3x3 "same"
    {3, 4, 7, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, false},    // stride 2
    {3, 4, 9, 9, 6, 5, 5, 1, 1, 2, 2, 1, 1, 2, true},     // 5x5, groups 2
    {1, 4, 9, 7, 4, 3, 3, 1, 1, 2, 2, 2, 2, 1, true},     // dilation 2
    {2, 6, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2, true},     // groups 2, C/g != O/g
    {3, 8, 5, 5, 6, 1, 1, 1, 1, 0, 0, 1, 1, 1, true},     // 1x1: no columns
    {1, 4, 9, 9, 6, 1, 1, 2, 2, 0, 0, 1, 1, 2, false},    // 1x1 stride 2, grouped
    {2, 4, 5, 5, 6, 1, 1, 1, 1, 0, 0, 1, 1, 2, true},     // 1x1 grouped: no columns
    {1, 3, 5, 7, 2, 5, 3, 1, 1, 0, 0, 1, 1, 1, false},    // non-square kernel, no padding
    {3, 2, 5, 5, 3, 3, 3, 2, 2, 0, 0, 2, 2, 1, true},     // stride 2 + dilation 2: 1x1 output
    {3, 3, 9, 5, 5, 3, 5, 2, 1, 1, 2, 1, 2, 1, true},     // different h/w parameters
    {2, 1, 9, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},     // one input channel
    {3, 6, 7, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6, true},     // depthwise
    {3, 4, 9, 9, 8, 5, 5, 2, 2, 2, 2, 1, 1, 4, false},    // depthwise, multiplier 2, stride 2
    {3, 4, 7, 7, 8, 3, 3, 1, 1, 2, 2, 2, 2, 4, true},     // depthwise dilated (DARTS dil_conv)
    {1, 3, 9, 9, 3, 3, 3, 2, 2, 1, 1, 1, 1, 3, false},    // depthwise stride 2
    {1, 5, 5, 7, 5, 5, 3, 1, 2, 0, 1, 1, 1, 5, true},     // depthwise, different h/w
    // DARTS cell shapes at odd sizes: K=5 dilation 2 (pad 4), stride 2, wide rows
    {2, 3, 7, 7, 3, 5, 5, 1, 1, 4, 4, 2, 2, 3, false},    // dil_conv_5x5 on 7x7
    {2, 3, 11, 13, 3, 5, 5, 1, 1, 2, 2, 1, 1, 3, true},   // sep_conv_5x5, rows over 1 vector
    {2, 2, 29, 19, 2, 3, 3, 1, 1, 1, 1, 1, 1, 2, false},  // W=29: a full block + tail
    {1, 3, 13, 13, 3, 5, 5, 2, 2, 2, 2, 1, 1, 3, false},  // sep_conv_5x5 reduction, stride 2
    {1, 2, 13, 11, 2, 5, 5, 2, 2, 4, 4, 2, 2, 2, true},   // dil_conv_5x5 reduction
    {2, 2, 9, 9, 2, 3, 3, 1, 1, 3, 3, 1, 1, 2, false},    // pad > dilation*(K-1): general input grad
    {1, 2, 6, 9, 4, 3, 5, 1, 1, 1, 2, 1, 1, 2, false},    // multiplier 2 at stride 1
};

// Shapes large enough for the parallel paths.
const std::vector<ConvCase> kParallelCases = {
    {8, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},  // batch-parallel im2col
    {1, 32, 32, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, false}, // one big image: parallel GEMM
    {8, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 32, true}, // depthwise, parallel planes
    {6, 32, 12, 12, 48, 1, 1, 1, 1, 0, 0, 1, 1, 1, false}, // pointwise (DARTS sep_conv)
    {4, 16, 7, 7, 16, 5, 5, 1, 1, 4, 4, 2, 2, 16, false},  // depthwise dil_conv_5x5, 4-row blocks
    {2, 16, 15, 15, 16, 5, 5, 2, 2, 2, 2, 1, 1, 16, true}, // depthwise reduction, stride 2
};

ConvParams params(const ConvCase& c) {
  ConvParams p;
  p.stride_h = c.sh, p.stride_w = c.sw, p.pad_h = c.ph, p.pad_w = c.pw;
  p.dilation_h = c.dh, p.dilation_w = c.dw, p.groups = c.groups;
  return p;
}

// Every case under every GEMM ISA: the stride-1 ones run the implicit-GEMM
// kernel (conv_implicit.h), whose tiles differ per ISA.
TYPED_TEST(CpuConv, MatchesReferenceOverCaseTable) {
  using T = TypeParam;
  std::mt19937_64 rng(17);
  std::vector<ConvCase> cases = kCases;
  cases.insert(cases.end(), kParallelCases.begin(), kParallelCases.end());
  for_each_isa([&] {
    for (const ConvCase& c : cases) {
      const ConvParams p = params(c);
      const std::string what = describe(c);
      Tensor x = random_tensor<T>({c.N, c.C, c.H, c.W}, rng);
      Tensor w = random_tensor<T>({c.O, c.C / c.groups, c.KH, c.KW}, rng);
      Tensor bias = c.bias ? random_tensor<T>({c.O}, rng) : Tensor{};

      Tensor out = raw::conv2d(x, w, bias, p);
      ASSERT_EQ(out.shape(), Shape({c.N, c.O, raw::conv_out_size(c.H, c.KH, c.sh, c.ph, c.dh),
                                    raw::conv_out_size(c.W, c.KW, c.sw, c.pw, c.dw)}))
          << what;
      Tensor out_ref = empty_of<T>(out.shape());
      nf::cpu::ref::conv2d_forward(x, w, bias, p, out_ref);
      expect_close(out, out_ref, tolerance<T>(), "forward " + what);

      Tensor grad_out = random_tensor<T>(out.shape(), rng);
      Tensor gx = raw::conv2d_backward_input(grad_out, w, x.shape(), p);
      Tensor gx_ref = empty_of<T>(x.shape());
      nf::cpu::ref::conv2d_backward_input(grad_out, w, p, gx_ref);
      expect_close(gx, gx_ref, tolerance<T>(), "backward_input " + what);

      Tensor gw = raw::conv2d_backward_weight(grad_out, x, w.shape(), p);
      Tensor gw_ref = empty_of<T>(w.shape());
      nf::cpu::ref::conv2d_backward_weight(grad_out, x, p, gw_ref);
      expect_close(gw, gw_ref, tolerance<T>(), "backward_weight " + what);
    }
  });
}

// A hand-checked case: a 3x3 box filter over a ramp with zero padding.
TYPED_TEST(CpuConv, HandCheckedBoxFilter) {
  using T = TypeParam;
  Tensor x = nf::from_vector<T>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  Tensor w = nf::from_vector<T>(std::vector<T>(9, T(1)), {1, 1, 3, 3});
  ConvParams p;
  p.pad_h = p.pad_w = 1;
  Tensor out = raw::conv2d(x, w, nf::from_vector<T>({T(0.5)}, {1}), p);
  const std::vector<double> expect = {12.5, 21.5, 16.5, 27.5, 45.5, 33.5, 24.5, 39.5, 28.5};
  EXPECT_EQ(values(out), expect);
}

// Depthwise weight gradient with inf in the last input column: kernel column
// 0 never reads it (pad 1), so its taps stay finite, as in the reference;
// the vector lanes past the last output must not turn 0 * inf into NaN.
TYPED_TEST(CpuConv, DepthwiseWeightGradIgnoresUnreadInf) {
  using T = TypeParam;
  std::mt19937_64 rng(41);
  for (int64_t W : {5, 13}) {
    Tensor x = random_tensor<T>({2, 2, 4, W}, rng);
    std::vector<T> xv = x.template to_vector<T>();
    for (size_t i = size_t(W - 1); i < xv.size(); i += size_t(W)) xv[i] = std::numeric_limits<T>::infinity();
    x = nf::from_vector<T>(xv, {2, 2, 4, W});
    ConvParams p;
    p.pad_h = p.pad_w = 1;
    p.groups = 2;
    Tensor grad_out = random_tensor<T>({2, 2, 4, W}, rng);
    Tensor gw = raw::conv2d_backward_weight(grad_out, x, {2, 1, 3, 3}, p);
    Tensor gw_ref = empty_of<T>(gw.shape());
    nf::cpu::ref::conv2d_backward_weight(grad_out, x, p, gw_ref);
    const std::vector<double> got = values(gw), want = values(gw_ref);
    for (size_t i = 0; i < got.size(); i += 3) {  // taps (c, kh, kw = 0)
      ASSERT_TRUE(std::isfinite(want[i])) << "reference tap " << i;
      EXPECT_NEAR(got[i], want[i], tolerance<T>() * (1 + std::abs(want[i]))) << "W " << W << " tap " << i;
    }
  }
}

// Kernels keep per-thread scratch between calls: a NaN input once must not
// leak into later, finite calls (the implicit GEMM's ragged output-channel
// tile once added 0 * stale NaN), at every ISA, for all three passes.
TEST(CpuConvScratch, NaNInputDoesNotLeakIntoLaterCalls) {
  std::mt19937_64 rng(29);
  for (const ConvCase& c : {ConvCase{2, 3, 9, 9, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, true},
                            ConvCase{2, 5, 7, 7, 7, 5, 5, 1, 1, 2, 2, 1, 1, 1, false}}) {
    for_each_isa([&] {
      const ConvParams p = params(c);
      Tensor w = random_tensor<float>({c.O, c.C, c.KH, c.KW}, rng);
      Tensor bias = c.bias ? random_tensor<float>({c.O}, rng) : Tensor{};
      Tensor x = random_tensor<float>({c.N, c.C, c.H, c.W}, rng);
      Tensor poisoned = raw::clone(x);
      raw::fill_(poisoned, std::numeric_limits<float>::quiet_NaN());
      Tensor out = raw::conv2d(poisoned, w, bias, p);
      raw::conv2d_backward_input(out, w, x.shape(), p);
      raw::conv2d_backward_weight(out, poisoned, w.shape(), p);

      out = raw::conv2d(x, w, bias, p);
      Tensor out_ref = empty_of<float>(out.shape());
      nf::cpu::ref::conv2d_forward(x, w, bias, p, out_ref);
      expect_close(out, out_ref, tolerance<float>(), "forward after NaN " + describe(c));
      Tensor gx = raw::conv2d_backward_input(out_ref, w, x.shape(), p);
      Tensor gx_ref = empty_of<float>(x.shape());
      nf::cpu::ref::conv2d_backward_input(out_ref, w, p, gx_ref);
      expect_close(gx, gx_ref, tolerance<float>(), "backward_input after NaN " + describe(c));
      Tensor gw = raw::conv2d_backward_weight(out_ref, x, w.shape(), p);
      Tensor gw_ref = empty_of<float>(w.shape());
      nf::cpu::ref::conv2d_backward_weight(out_ref, x, p, gw_ref);
      expect_close(gw, gw_ref, tolerance<float>(), "backward_weight after NaN " + describe(c));
    });
  }
}

TEST(CpuConvErrors, ShapeMismatchNamesOpAndShapes) {
  Tensor x = nf::zeros({1, 3, 5, 5}), w = nf::zeros({4, 2, 3, 3});
  expect_error([&] { raw::conv2d(x, w, Tensor{}, ConvParams{}); }, {"conv2d", "[1,3,5,5]", "[4,2,3,3]"});
  ConvParams g3;
  g3.groups = 3;
  expect_error([&] { raw::conv2d(x, nf::zeros({4, 1, 3, 3}), Tensor{}, g3); },
               {"conv2d", "[1,3,5,5]", "[4,1,3,3]", "groups=3"});
  expect_error([&] { raw::conv2d(x, nf::zeros({4, 3, 7, 7}), Tensor{}, ConvParams{}); },
               {"conv2d", "[1,3,5,5]", "[4,3,7,7]", "too small"});
  expect_error([&] { raw::conv2d(x, nf::zeros({4, 3, 3, 3}), nf::zeros({5}), ConvParams{}); },
               {"conv2d", "bias", "[5]"});
  expect_error([&] { raw::conv2d(x, nf::zeros({4, 3, 3, 3}, {nf::DType::f64}), Tensor{}, ConvParams{}); },
               {"conv2d", "f32", "f64"});
  expect_error([&] { raw::conv2d_backward_input(nf::zeros({1, 4, 4, 4}), nf::zeros({4, 3, 3, 3}), {1, 3, 5, 5}, ConvParams{}); },
               {"conv2d_backward_input", "[1,4,4,4]", "[1,4,3,3]"});
}

// Every parallel path (batch-parallel im2col, parallel GEMM in one image,
// depthwise planes, weight-gradient image ranges) gives the same bits on 1
// and on 3 threads.
TEST(CpuConvThreads, SameBitsForAnyThreadCount) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP";
#else
  std::mt19937_64 rng(23);
  const int saved = omp_get_max_threads();
  for (const ConvCase& c : kParallelCases) {
    const ConvParams p = params(c);
    Tensor x = random_tensor<float>({c.N, c.C, c.H, c.W}, rng);
    Tensor w = random_tensor<float>({c.O, c.C / c.groups, c.KH, c.KW}, rng);
    std::vector<Tensor> runs[2];
    for (int r = 0; r < 2; ++r) {
      omp_set_num_threads(r == 0 ? 1 : 3);
      Tensor out = raw::conv2d(x, w, Tensor{}, p);
      runs[r] = {out, raw::conv2d_backward_input(out, w, x.shape(), p),
                 raw::conv2d_backward_weight(out, x, w.shape(), p)};
    }
    omp_set_num_threads(saved);
    for (size_t i = 0; i < 3; ++i) expect_equal(runs[0][i], runs[1][i], describe(c));
  }
#endif
}

}  // namespace
