// The direct stride-1 convolution weight gradient (tensor/cpu/conv_weight_grad.h)
// against a naive loop in double: output widths around the vector and tile
// sizes (1, 5, 7, 8, 9, 13, 14, 28, 29), channel counts that are not
// multiples of the tiles, kernels 1x1 / 3x3 / 5x5 / 3x5, padding 0..4 (also
// more than dilation*(K-1)), dilation 1 and 2, batch 1 / 3 / 9, images
// strided inside larger tensors (as for one group of a grouped conv); f32 and
// f64 at every GEMM ISA the CPU runs; the same bits for 1, 2 and 3 threads;
// an inf the taps never read stays out of the sums; stride 2 is an error.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <sstream>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cpu_kernel_check.h"
#include "tensor/cpu/conv_weight_grad.h"
#include "tensor/cpu/gemm_isa.h"

namespace {

using nf::ConvParams;
using nf::cpu::ConvGeometry;
using nf::cpu::GemmIsa;

template <typename T>
class CpuConvWeightGrad : public ::testing::Test {};
TYPED_TEST_SUITE(CpuConvWeightGrad, nf::testing::FloatTypes);

struct Case {
  int64_t N, C, Og, H, W, KH, KW, ph, pw, dh, dw;
};

std::string describe(const Case& c) {
  std::ostringstream os;
  os << "N " << c.N << " C " << c.C << " Og " << c.Og << " x " << c.H << "x" << c.W << " k "
     << c.KH << "x" << c.KW << " pad (" << c.ph << "," << c.pw << ") dilation (" << c.dh << ","
     << c.dw << ")";
  return os.str();
}

ConvGeometry geometry(const Case& c) {
  ConvParams p;
  p.pad_h = c.ph, p.pad_w = c.pw, p.dilation_h = c.dh, p.dilation_w = c.dw;
  return {c.C, c.H, c.W, c.KH, c.KW, c.H + 2 * c.ph - c.dh * (c.KH - 1),
          c.W + 2 * c.pw - c.dw * (c.KW - 1), p};
}

// The images of one group: x [N, C + 1, H, W] read from channel 1 on,
// grad_out [N, Og + 1, OH, OW] from channel 0, so both image strides exceed
// the group's extent.
template <typename T>
struct Operands {
  ConvGeometry g;
  int64_t N, Og, x_stride, go_stride;
  std::vector<T> x, grad_out;
  const T* x_group() const { return x.data() + g.H * g.W; }
  const T* go_group() const { return grad_out.data(); }
};

template <typename T>
Operands<T> random_operands(const Case& c, std::mt19937_64& rng) {
  const ConvGeometry g = geometry(c);
  Operands<T> a{g, c.N, c.Og, (c.C + 1) * c.H * c.W, (c.Og + 1) * g.OH * g.OW, {}, {}};
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  a.x.resize(c.N * a.x_stride);
  a.grad_out.resize(c.N * a.go_stride);
  for (T& v : a.x) v = static_cast<T>(dist(rng));
  for (T& v : a.grad_out) v = static_cast<T>(dist(rng));
  return a;
}

// grad_w [Og, C, KH, KW] by the definition, summed in double.
template <typename T>
std::vector<double> naive(const Operands<T>& a) {
  const ConvGeometry& g = a.g;
  std::vector<double> gw(a.Og * g.C * g.KH * g.KW, 0.0);
  for (int64_t n = 0; n < a.N; ++n)
    for (int64_t o = 0; o < a.Og; ++o)
      for (int64_t c = 0; c < g.C; ++c)
        for (int64_t kh = 0; kh < g.KH; ++kh)
          for (int64_t kw = 0; kw < g.KW; ++kw) {
            double s = 0;
            for (int64_t oh = 0; oh < g.OH; ++oh)
              for (int64_t ow = 0; ow < g.OW; ++ow) {
                const int64_t ih = oh - g.ph + kh * g.dh, iw = ow - g.pw + kw * g.dw;
                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                s += double(a.go_group()[n * a.go_stride + (o * g.OH + oh) * g.OW + ow]) *
                     double(a.x_group()[n * a.x_stride + (c * g.H + ih) * g.W + iw]);
              }
            gw[((o * g.C + c) * g.KH + kh) * g.KW + kw] += s;
          }
  return gw;
}

template <typename T>
std::vector<T> direct(const Operands<T>& a) {
  // NaN-filled, so an element the kernel fails to write shows up.
  std::vector<T> gw(a.Og * a.g.C * a.g.KH * a.g.KW, std::numeric_limits<T>::quiet_NaN());
  nf::cpu::conv_weight_grad_stride1<T>(a.g, a.N, a.Og, a.go_group(), a.go_stride, a.x_group(),
                                       a.x_stride, gw.data());
  return gw;
}

// Restores the process-wide GEMM ISA when a test ends, however it ends.
struct IsaGuard {
  GemmIsa saved = nf::cpu::gemm_isa();
  ~IsaGuard() { nf::cpu::set_gemm_isa(saved); }
};

// Every output width in the list, from 1 to past three vectors, over kernels,
// padding and dilation; channels and batch rotate through their lists. Then
// output channels beyond one register tile (9, 24, 33, 40).
std::vector<Case> case_table() {
  const int64_t widths[] = {1, 5, 7, 8, 9, 13, 14, 28, 29};
  const int64_t kernels[][2] = {{1, 1}, {3, 3}, {5, 5}, {3, 5}};
  const int64_t channels[] = {1, 2, 3, 5, 7, 16};
  const int64_t batches[] = {1, 3, 9};
  const int64_t heights[] = {1, 2, 4};
  std::vector<Case> cases;
  int64_t i = 0;
  for (int64_t ow : widths)
    for (const auto& k : kernels)
      for (int64_t dil : {1, 2})
        for (int64_t pad = 0; pad <= 4; ++pad) {
          // Every other case pads the height one less, every fourth dilates it differently.
          const int64_t ph = pad > 0 && i % 2 ? pad - 1 : pad, dh = i % 4 == 1 ? 3 - dil : dil;
          const int64_t W = ow - 2 * pad + dil * (k[1] - 1);
          const int64_t H = heights[i % 3] - 2 * ph + dh * (k[0] - 1);
          if (W < 1 || H < 1) continue;
          cases.push_back({batches[i % 3], channels[i % 6], channels[(i / 6 + i) % 6], H, W, k[0],
                           k[1], ph, pad, dh, dil});
          ++i;
        }
  // More output channels than one tile, and part of a second one.
  cases.push_back({3, 5, 24, 6, 9, 3, 3, 1, 1, 1, 1});
  cases.push_back({2, 3, 33, 5, 13, 3, 5, 2, 1, 1, 2});
  cases.push_back({1, 9, 9, 4, 8, 5, 5, 4, 4, 1, 1});
  cases.push_back({2, 17, 40, 7, 7, 1, 1, 0, 0, 1, 1});
  return cases;
}

TYPED_TEST(CpuConvWeightGrad, MatchesNaiveLoopAtEveryIsa) {
  using T = TypeParam;
  const IsaGuard guard;
  const std::vector<Case> cases = case_table();
  ASSERT_GT(cases.size(), 150u);
  for (GemmIsa isa : nf::cpu::supported_gemm_isas()) {
    nf::cpu::set_gemm_isa(isa);
    std::mt19937_64 rng(31);
    for (const Case& c : cases) {
      const Operands<T> a = random_operands<T>(c, rng);
      const std::vector<T> got = direct(a);
      const std::vector<double> want = naive(a);
      double scale = 1.0;
      for (double v : want) scale = std::max(scale, std::abs(v));
      const std::string what = std::string(nf::cpu::gemm_isa_name(isa)) + " " + describe(c);
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR(got[i], want[i], nf::testing::tolerance<T>() * scale) << what << " at " << i;
    }
  }
}

// Shapes big enough to run on several threads: every part count and tap
// split gives the same bits on 1, 2 and 3 threads, at every ISA.
TEST(CpuConvWeightGradThreads, SameBitsForAnyThreadCount) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP";
#else
  const IsaGuard guard;
  const int saved = omp_get_max_threads();
  const std::vector<Case> cases = {
      {9, 16, 16, 14, 14, 3, 3, 1, 1, 1, 1},  // batch parts
      {1, 16, 24, 14, 14, 3, 3, 1, 1, 1, 1},  // one image: taps split across threads
      {3, 7, 5, 13, 9, 5, 5, 2, 2, 1, 1},     // odd everything
      {2, 32, 32, 14, 14, 3, 3, 2, 2, 2, 2},  // dilated
  };
  for (GemmIsa isa : nf::cpu::supported_gemm_isas()) {
    nf::cpu::set_gemm_isa(isa);
    std::mt19937_64 rng(5);
    for (const Case& c : cases) {
      const Operands<float> a = random_operands<float>(c, rng);
      std::vector<float> runs[3];
      for (int t = 0; t < 3; ++t) {
        omp_set_num_threads(t + 1);
        runs[t] = direct(a);
      }
      omp_set_num_threads(saved);
      for (int t = 1; t < 3; ++t)
        for (size_t i = 0; i < runs[0].size(); ++i)
          ASSERT_EQ(runs[0][i], runs[t][i]) << nf::cpu::gemm_isa_name(isa) << " " << describe(c)
                                            << " threads " << t + 1 << " at " << i;
    }
  }
#endif
}

// inf in the last input column: with pad 1, kernel column 0 never reads it,
// so those taps stay finite (padded output-channel lanes must not multiply it).
TYPED_TEST(CpuConvWeightGrad, InfThatNoTapReadsStaysOut) {
  using T = TypeParam;
  const IsaGuard guard;
  for (GemmIsa isa : nf::cpu::supported_gemm_isas()) {
    nf::cpu::set_gemm_isa(isa);
    std::mt19937_64 rng(41);
    for (int64_t W : {5, 13}) {
      Operands<T> a = random_operands<T>({2, 3, 3, 4, W, 3, 3, 1, 1, 1, 1}, rng);
      for (size_t i = size_t(W - 1); i < a.x.size(); i += size_t(W))
        a.x[i] = std::numeric_limits<T>::infinity();
      const std::vector<T> got = direct(a);
      const std::vector<double> want = naive(a);
      for (size_t i = 0; i < got.size(); i += 3) {  // taps (o, c, kh, kw = 0)
        ASSERT_TRUE(std::isfinite(want[i])) << "reference tap " << i;
        EXPECT_NEAR(got[i], want[i], nf::testing::tolerance<T>() * (1 + std::abs(want[i])))
            << gemm_isa_name(isa) << " W " << W << " tap " << i;
      }
    }
  }
}

TEST(CpuConvWeightGradErrors, StrideTwoNamesTheFunction) {
  ConvParams p;
  p.stride_h = p.stride_w = 2;
  const ConvGeometry g(2, 7, 7, 3, 3, 3, 3, p);
  std::vector<float> x(2 * 49), go(9), gw(18);
  nf::testing::expect_error(
      [&] {
        nf::cpu::conv_weight_grad_stride1<float>(g, 1, 1, go.data(), 9, x.data(), 98, gw.data());
      },
      {"conv_weight_grad_stride1", "stride"});
}

}  // namespace
