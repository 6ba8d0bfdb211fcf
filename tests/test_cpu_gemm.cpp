// CPU GEMM and batched matmul: the fast kernel against the naive reference on
// odd, skinny, batched and broadcast shapes for all four transpose layouts
// (f32 and f64); the raw gemm() entry with alpha, beta and padded leading
// dimensions; each ISA's micro-kernel against the portable one; the nf::raw
// front end and its errors; thread-count independence; the ISA selection API.
// Every GEMM test runs once per ISA this CPU supports (gemm_isa.h); the
// AVX-512 cases skip with a message on CPUs without avx512f.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cpu_kernel_check.h"
#include "isa_scope.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/gemm.h"
#include "tensor/cpu/gemm_isa.h"
#include "tensor/cpu/gemm_microkernel.h"
#include "tensor/cpu/reference.h"
#include "tensor/ops.h"

namespace {

using namespace nf::testing;
using nf::Shape;
using nf::Tensor;
namespace raw = nf::raw;

template <typename T>
class CpuGemm : public ::testing::Test {};
TYPED_TEST_SUITE(CpuGemm, FloatTypes);

struct MatmulCase {
  int64_t batch, M, K, N;
  bool broadcast_a = false, broadcast_b = false;  // batch stride 0
};

std::string describe(const MatmulCase& c, bool ta, bool tb) {
  std::ostringstream os;
  os << "[" << c.batch << "," << c.M << "," << c.K << "] x [" << c.K << "," << c.N << "]"
     << (ta ? " A^T" : "") << (tb ? " B^T" : "") << (c.broadcast_a ? " bcast A" : "")
     << (c.broadcast_b ? " bcast B" : "");
  return os.str();
}

// A [batch, rows, cols] operand: transposed = a transpose view of [.., cols, rows]
// storage (stride(1) == 1); broadcast = one matrix expanded over the batch.
template <typename T>
Tensor operand(int64_t batch, int64_t rows, int64_t cols, bool transposed, bool broadcast,
               std::mt19937_64& rng) {
  const int64_t stored = broadcast ? 1 : batch;
  Tensor t = transposed ? raw::transpose(random_tensor<T>({stored, cols, rows}, rng), 1, 2)
                        : random_tensor<T>({stored, rows, cols}, rng);
  return broadcast ? raw::expand(t, {batch, rows, cols}) : t;
}

TYPED_TEST(CpuGemm, MatmulMatchesReferenceForAllLayouts) {
  using T = TypeParam;
  const std::vector<MatmulCase> cases = {
      {1, 1, 1, 1},        {1, 3, 5, 7},           {1, 17, 33, 65},     {1, 127, 129, 131},
      {1, 1, 300, 257},    {1, 259, 300, 1},       {1, 2, 70, 3},       {1, 7, 20, 4500},
      {1, 150, 300, 40},   {5, 9, 13, 11},         {4, 9, 13, 11, true}, {4, 33, 17, 40, false, true},
      {3, 1, 64, 50, true}, {6, 20, 1, 30},
  };
  for_each_isa([&] {
    std::mt19937_64 rng(7);
    for (const MatmulCase& c : cases)
      for (bool ta : {false, true})
        for (bool tb : {false, true}) {
          Tensor a = operand<T>(c.batch, c.M, c.K, ta, c.broadcast_a, rng);
          Tensor b = operand<T>(c.batch, c.K, c.N, tb, c.broadcast_b, rng);
          if (ta && c.M > 1) {
            ASSERT_EQ(a.stride(1), 1);
          }
          if (c.broadcast_a) {
            ASSERT_EQ(a.stride(0), 0);
          }
          Tensor fast = empty_of<T>({c.batch, c.M, c.N}), expect = empty_of<T>({c.batch, c.M, c.N});
          nf::cpu::cpu_backend().matmul(a, b, fast);
          nf::cpu::ref::matmul(a, b, expect);
          expect_close(fast, expect, tolerance<T>(), describe(c, ta, tb));
        }
  });
}

// gemm() itself: C = alpha op(A) op(B) + beta C on sub-matrices (leading
// dimensions larger than the row length), as the convolutions call it.
TYPED_TEST(CpuGemm, AlphaBetaAndLeadingDimensions) {
  using T = TypeParam;
  const int64_t M = 37, N = 53, K = 300, pad = 5;
  for_each_isa([&] {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> dist(-1, 1);
    auto fill = [&](std::vector<T>& v) { for (auto& e : v) e = static_cast<T>(dist(rng)); };
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (T beta : {T(0), T(1), T(-1.5)}) {
          const int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
          std::vector<T> A((ta ? K : M) * lda), B((tb ? N : K) * ldb), C(M * ldc);
          fill(A), fill(B), fill(C);
          const std::vector<T> C0 = C;
          const T alpha = T(0.75);
          nf::cpu::gemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
          double worst = 0;
          for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < N + pad; ++j) {
              double expect = C0[i * ldc + j];  // the padding columns stay untouched
              if (j < N) {
                double s = 0;
                for (int64_t k = 0; k < K; ++k)
                  s += double(ta ? A[k * lda + i] : A[i * lda + k]) *
                       double(tb ? B[j * ldb + k] : B[k * ldb + j]);
                expect = double(alpha) * s + (beta == T(0) ? 0.0 : double(beta) * C0[i * ldc + j]);
              }
              worst = std::max(worst, std::abs(double(C[i * ldc + j]) - expect));
            }
          EXPECT_LE(worst, tolerance<T>() * 20) << "ta=" << ta << " tb=" << tb << " beta=" << beta;
        }
  });
}

// beta == 0 must not read C: NaN garbage in C may not leak into the result.
TYPED_TEST(CpuGemm, BetaZeroIgnoresGarbageInC) {
  using T = TypeParam;
  for_each_isa([&] {
    for (int64_t M : {1, 5, 40, 100})
      for (int64_t N : {1, 7, 40, 70}) {
        const int64_t K = 9;
        std::vector<T> A(M * K, T(1)), B(K * N, T(2)), C(M * N, std::numeric_limits<T>::quiet_NaN());
        nf::cpu::gemm(false, false, M, N, K, T(1), A.data(), K, B.data(), N, T(0), C.data(), N);
        for (T v : C) ASSERT_EQ(v, T(18)) << M << "x" << N;
      }
  });
}

// Each ISA's micro-kernel agrees with the portable loop nest of the same
// tile, with beta 0 (C not read) and beta != 0, on a C with ldc > NR.
template <typename T, int64_t MR, int64_t NR>
void check_micro_kernel(const nf::cpu::gemm_detail::MicroKernel<T>& mk) {
  ASSERT_EQ(mk.mr, MR);
  ASSERT_EQ(mk.nr, NR);
  ASSERT_EQ(mk.mc % MR, 0);
  ASSERT_EQ(mk.nc % NR, 0);
  ASSERT_LE(MR * NR, nf::cpu::gemm_detail::kMaxTileElems);
  constexpr int64_t kc = 37, ldc = NR + 3;
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> dist(-1, 1);
  std::vector<T> a(kc * MR), b(kc * NR), c0(MR * ldc);
  for (auto* v : {&a, &b, &c0})
    for (auto& e : *v) e = static_cast<T>(dist(rng));
  for (T beta : {T(0), T(0.5)}) {
    std::vector<T> c1 = c0, c2 = c0;
    mk.fn(kc, a.data(), b.data(), NR, nullptr, c1.data(), ldc, beta);
    nf::cpu::gemm_detail::micro_kernel_portable<T, MR, NR>(kc, a.data(), b.data(), NR, nullptr,
                                                          c2.data(), ldc, beta);
    for (size_t i = 0; i < c1.size(); ++i) ASSERT_NEAR(c1[i], c2[i], tolerance<T>() * 10) << i;
    // B rows through an offset table (the implicit-GEMM convolution): row k at
    // b_rows[k], here the packed rows in reverse order, overlapping-free.
    std::vector<int64_t> rows(kc);
    for (int64_t k = 0; k < kc; ++k) rows[k] = (kc - 1 - k) * NR;
    std::vector<T> b_rev(kc * NR);
    for (int64_t k = 0; k < kc; ++k)
      std::copy(b.begin() + (kc - 1 - k) * NR, b.begin() + (kc - k) * NR, b_rev.begin() + k * NR);
    std::vector<T> c3 = c0, c4 = c0;
    mk.fn(kc, a.data(), b.data(), 0, rows.data(), c3.data(), ldc, beta);
    nf::cpu::gemm_detail::micro_kernel_portable<T, MR, NR>(kc, a.data(), b_rev.data(), NR, nullptr,
                                                          c4.data(), ldc, beta);
    for (size_t i = 0; i < c3.size(); ++i) ASSERT_NEAR(c3[i], c4[i], tolerance<T>() * 10) << i;
  }
}

TEST(CpuGemmIsa, MicroKernelsMatchPortableLoopNest) {
  namespace gd = nf::cpu::gemm_detail;
  for_each_isa([] {
    const GemmIsa isa = nf::cpu::gemm_isa();
    if (isa == GemmIsa::avx512)
      check_micro_kernel<float, 12, 32>(gd::micro_kernel_for<float>(isa));
    else
      check_micro_kernel<float, 6, 16>(gd::micro_kernel_for<float>(isa));
    check_micro_kernel<double, 6, 8>(gd::micro_kernel_for<double>(isa));
    // The implicit-GEMM convolution's choice by output channels (4 x 24 for 8/16/32 on AVX2).
    for (int64_t rows : {8, 12, 16, 18}) {
      const gd::MicroKernel<float> mk = gd::micro_kernel_for_rows<float>(isa, rows);
      if (mk.mr == 4)
        check_micro_kernel<float, 4, 24>(mk);
      else
        EXPECT_EQ(mk.fn, gd::micro_kernel_for<float>(isa).fn) << rows;
      EXPECT_EQ(mk.mr == 4, isa == GemmIsa::avx2 && rows % 6 != 0) << rows;
    }
  });
}

// The blocked driver with AVX-512's tile and blocking (12 x 32, KC 192, MC 144,
// NC 4096), run here with the portable loop nest of that shape: ragged MR/NR
// edges, several K, M and N blocks, all transposes, beta 0 and not.
TEST(CpuGemmIsa, Avx512BlockingWithPortableKernel) {
  namespace gd = nf::cpu::gemm_detail;
  gd::MicroKernel<float> mk = gd::micro_kernel_for<float>(GemmIsa::avx512);
  ASSERT_EQ(mk.mr, 12);
  ASSERT_EQ(mk.nr, 32);
  mk.fn = gd::micro_kernel_portable<float, 12, 32>;
  struct Case {
    int64_t M, N, K;
  };
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> dist(-1, 1);
  for (Case c : {Case{157, 75, 401}, Case{13, 4133, 5}, Case{30, 33, 193}})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (float beta : {0.0f, -0.5f}) {
          const int64_t M = c.M, N = c.N, K = c.K;
          const int64_t lda = ta ? M : K, ldb = tb ? K : N, ldc = N + 1;
          std::vector<float> A(M * K), B(K * N), C(M * ldc);
          for (auto* v : {&A, &B, &C})
            for (auto& e : *v) e = static_cast<float>(dist(rng));
          const std::vector<float> C0 = C;
          gd::gemm_with_kernel(mk, ta, tb, M, N, K, 1.25f, A.data(), lda, B.data(), ldb, beta,
                               C.data(), ldc);
          double worst = 0;
          for (int64_t i = 0; i < M; ++i)
            for (int64_t j = 0; j < ldc; ++j) {
              double expect = C0[i * ldc + j];  // the padding column stays untouched
              if (j < N) {
                double sum = 0;
                for (int64_t k = 0; k < K; ++k)
                  sum += double(ta ? A[k * lda + i] : A[i * lda + k]) *
                         double(tb ? B[j * ldb + k] : B[k * ldb + j]);
                expect = 1.25 * sum + double(beta) * C0[i * ldc + j];
              }
              worst = std::max(worst, std::abs(double(C[i * ldc + j]) - expect));
            }
          EXPECT_LE(worst, tolerance<float>() * 20) << M << "x" << N << "x" << K << " ta=" << ta
                                                   << " tb=" << tb << " beta=" << beta;
        }
}

TEST(CpuGemmIsa, Avx512KernelsRunWhereSupported) {
  if (!nf::cpu::gemm_isa_supported(GemmIsa::avx512))
    GTEST_SKIP() << "this CPU has no avx512f: the AVX-512 GEMM kernel is compiled but not run";
  IsaScope scope(GemmIsa::avx512);
  EXPECT_EQ(nf::cpu::gemm_isa(), GemmIsa::avx512);
  EXPECT_EQ(nf::cpu::gemm_detail::micro_kernel_for<float>(GemmIsa::avx512).mr, 12);
}

TEST(CpuGemmIsa, SelectionApi) {
  const std::vector<GemmIsa> isas = nf::cpu::supported_gemm_isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), GemmIsa::scalar);
  // No override in the test environment: the default is the best supported one.
  if (std::getenv("NF_CPU_ISA") == nullptr) {
    EXPECT_EQ(nf::cpu::gemm_isa(), isas.back());
  }
  for (GemmIsa isa : kAllIsas) {
    EXPECT_EQ(nf::cpu::parse_gemm_isa(nf::cpu::gemm_isa_name(isa)), isa);
    if (nf::cpu::gemm_isa_supported(isa)) {
      EXPECT_EQ(nf::cpu::gemm_isa_from_env_value(nf::cpu::gemm_isa_name(isa)), isa);
      IsaScope scope(isa);
      EXPECT_EQ(nf::cpu::gemm_isa(), isa);
    } else {  // refused with a clear error, and the current choice is kept
      const GemmIsa before = nf::cpu::gemm_isa();
      expect_error([&] { nf::cpu::set_gemm_isa(isa); },
                   {"set_gemm_isa", nf::cpu::gemm_isa_name(isa), "does not support"});
      expect_error([&] { nf::cpu::gemm_isa_from_env_value(nf::cpu::gemm_isa_name(isa)); },
                   {"NF_CPU_ISA", nf::cpu::gemm_isa_name(isa), "does not support"});
      EXPECT_EQ(nf::cpu::gemm_isa(), before);
    }
  }
  EXPECT_EQ(nf::cpu::gemm_isa_from_env_value(nullptr), isas.back());
  EXPECT_EQ(nf::cpu::gemm_isa_from_env_value(""), isas.back());
  expect_error([] { nf::cpu::gemm_isa_from_env_value("sse9"); }, {"NF_CPU_ISA", "sse9", "avx2"});
  expect_error([] { nf::cpu::parse_gemm_isa("AVX2 "); }, {"unknown ISA", "AVX2 "});
}

TYPED_TEST(CpuGemm, RawMatmulFrontEnd) {
  using T = TypeParam;
  for_each_isa([&] {
    std::mt19937_64 rng(5);
    // 2-D with a transposed view, 1-D vectors, and numpy batch broadcasting.
    Tensor a = random_tensor<T>({19, 23}, rng), bt = random_tensor<T>({29, 23}, rng);
    Tensor b = raw::transpose(bt, 0, 1);
    Tensor expect = empty_of<T>({1, 19, 29});
    nf::cpu::ref::matmul(raw::unsqueeze(a, 0), raw::unsqueeze(b, 0), expect);
    expect_close(raw::matmul(a, b), raw::squeeze(expect, 0), tolerance<T>(), "2-D A x B^T view");

    Tensor v = random_tensor<T>({23}, rng);
    Tensor mv = raw::matmul(a, v);
    ASSERT_EQ(mv.shape(), Shape({19}));
    Tensor mv_ref = empty_of<T>({1, 19, 1});
    nf::cpu::ref::matmul(raw::unsqueeze(a, 0), raw::view(v, {1, 23, 1}), mv_ref);
    expect_close(mv, raw::view(mv_ref, {19}), tolerance<T>(), "matrix x vector");

    Tensor x = random_tensor<T>({3, 1, 6, 8}, rng), w = random_tensor<T>({4, 8, 5}, rng);
    Tensor y = raw::matmul(x, w);
    ASSERT_EQ(y.shape(), Shape({3, 4, 6, 5}));
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 4; ++j) {
        Tensor r = empty_of<T>({1, 6, 5});
        nf::cpu::ref::matmul(raw::select(x, 0, i), raw::unsqueeze(raw::select(w, 0, j), 0), r);
        expect_close(raw::select(raw::select(y, 0, i), 0, j), raw::squeeze(r, 0), tolerance<T>(),
                     "broadcast batch");
      }
  });
}

TEST(CpuGemmErrors, ShapeMismatchNamesOpAndShapes) {
  Tensor a = nf::zeros({2, 3}), b = nf::zeros({4, 5});
  expect_error([&] { raw::matmul(a, b); }, {"matmul", "[2,3]", "[4,5]"});
  Tensor c = nf::zeros({7, 2, 3}), d = nf::zeros({6, 3, 5});
  expect_error([&] { raw::matmul(c, d); }, {"matmul", "[7,2,3]", "[6,3,5]"});
  expect_error([&] { raw::matmul(a, nf::zeros({3, 4}, {nf::DType::f64})); }, {"matmul", "f32", "f64"});
}

// Sizes big enough for the parallel paths (blocked GEMM tiles, batch loop):
// the bits must not depend on the number of threads.
TEST(CpuGemmThreads, SameBitsForAnyThreadCount) {
#ifndef _OPENMP
  GTEST_SKIP() << "built without OpenMP";
#else
  std::mt19937_64 rng(9);
  Tensor a = random_tensor<float>({1, 200, 700}, rng), b = random_tensor<float>({1, 700, 300}, rng);
  Tensor sa = random_tensor<float>({64, 12, 40}, rng), sb = random_tensor<float>({64, 40, 20}, rng);
  for_each_isa([&] {
      const int saved = omp_get_max_threads();
      omp_set_num_threads(1);
      Tensor big1 = raw::matmul(a, b), small1 = raw::matmul(sa, sb);
      omp_set_num_threads(3);
      Tensor big3 = raw::matmul(a, b), small3 = raw::matmul(sa, sb);
      omp_set_num_threads(saved);
      expect_equal(big1, big3, "blocked GEMM");
      expect_equal(small1, small3, "batched small GEMMs");
  });
#endif
}

}  // namespace
