// CUDA matmul against the CPU backend, for each GEMM implementation (hand
// kernels, cuBLAS FP32, cuBLAS TF32): odd sizes (edge tiles of the 128x128
// SGEMM), all four transpose combinations, row-major views with a leading dim
// larger than the row (slices: no float4 loads), batches with a broadcast
// operand (batch stride 0), f32 and f64. The selection API is checked on any
// machine; the device cases skip themselves without a device.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "cpu_kernel_check.h"
#include "cuda/device.h"
#include "cuda/gemm_select.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

using nf::Device;
using nf::DType;
using nf::Tensor;
using nf::cuda::GemmImpl;
namespace raw = nf::raw;

const Device kCuda = Device::cuda(0);

// First in the file: nothing has called set_gemm_impl yet in this process.
TEST(CudaGemmSelect, DefaultIsStrictCublasUnlessTheEnvironmentSaysOtherwise) {
  const char* env = std::getenv("NF_CUDA_GEMM");
  if (env && *env) GTEST_SKIP() << "NF_CUDA_GEMM=" << env << " is set";
  EXPECT_EQ(nf::cuda::gemm_impl(), GemmImpl::cublas);
}

TEST(CudaGemmSelect, NamesRoundTripAndSetSticks) {
  for (GemmImpl impl : {GemmImpl::hand, GemmImpl::cublas, GemmImpl::cublas_tf32}) {
    auto parsed = nf::cuda::parse_gemm_impl(nf::cuda::gemm_impl_name(impl));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, impl);
  }
  EXPECT_FALSE(nf::cuda::parse_gemm_impl("cuBLAS").has_value());
  EXPECT_FALSE(nf::cuda::parse_gemm_impl("").has_value());
  // set_gemm_impl overrides the environment (even a bad NF_CUDA_GEMM).
  nf::cuda::set_gemm_impl(GemmImpl::hand);
  EXPECT_EQ(nf::cuda::gemm_impl(), GemmImpl::hand);
  nf::cuda::set_gemm_impl(GemmImpl::cublas_tf32);
  EXPECT_EQ(nf::cuda::gemm_impl(), GemmImpl::cublas_tf32);
  nf::cuda::set_gemm_impl(GemmImpl::cublas);
  EXPECT_EQ(nf::cuda::gemm_impl(), GemmImpl::cublas);
}

class CudaMatmul : public ::testing::TestWithParam<GemmImpl> {
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
  // Relative (to the largest reference magnitude) tolerance of a length-K dot product.
  double tol(DType dt) const {
    if (dt == DType::f64) return 1e-12;
    return GetParam() == GemmImpl::cublas_tf32 ? 2e-2 : 2e-5;
  }
  GemmImpl previous_ = GemmImpl::cublas;
};

// a and b are built on the CPU; `view` turns a stored tensor into the operand.
void expect_matmul_matches(const Tensor& a_store, const Tensor& b_store,
                           Tensor (*view_a)(const Tensor&), Tensor (*view_b)(const Tensor&),
                           double tol, const std::string& what) {
  const Tensor a_gpu = raw::to_device(a_store, kCuda), b_gpu = raw::to_device(b_store, kCuda);
  const Tensor want = raw::matmul(view_a(a_store), view_b(b_store));
  const Tensor got = raw::matmul(view_a(a_gpu), view_b(b_gpu));
  EXPECT_TRUE(got.device() == kCuda) << what;
  nf::testing::expect_close(got, want, tol, what);
}

Tensor same(const Tensor& t) { return t; }
Tensor swap_last(const Tensor& t) { return raw::transpose(t, -2, -1); }

struct Dims {
  int64_t M, K, N;
};

TEST_P(CudaMatmul, AllTransposesOddSizes) {
  std::mt19937_64 rng(11);
  for (DType dt : {DType::f32, DType::f64}) {
    for (Dims d : {Dims{1, 1, 1}, Dims{7, 33, 257}, Dims{33, 7, 1}, Dims{1, 19, 5},
                   Dims{129, 257, 65}, Dims{257, 1023, 33}, Dims{130, 8, 131}}) {
      auto make = [&](int64_t r, int64_t c) {
        return dt == DType::f32 ? nf::testing::random_tensor<float>({r, c}, rng)
                                : nf::testing::random_tensor<double>({r, c}, rng);
      };
      const std::string tag = std::string(nf::dtype_name(dt)) + " M=" + std::to_string(d.M) +
                              " K=" + std::to_string(d.K) + " N=" + std::to_string(d.N);
      // Stored [M,K] / [K,N], or transposed storage [K,M] / [N,K] viewed back.
      const Tensor a = make(d.M, d.K), at = make(d.K, d.M);
      const Tensor b = make(d.K, d.N), bt = make(d.N, d.K);
      expect_matmul_matches(a, b, same, same, tol(dt), "NN " + tag);
      expect_matmul_matches(at, b, swap_last, same, tol(dt), "TN " + tag);
      expect_matmul_matches(a, bt, same, swap_last, tol(dt), "NT " + tag);
      expect_matmul_matches(at, bt, swap_last, swap_last, tol(dt), "TT " + tag);
    }
  }
}

TEST_P(CudaMatmul, SlicedOperandsWithWideLeadingDims) {
  std::mt19937_64 rng(12);
  for (DType dt : {DType::f32, DType::f64}) {
    auto make = [&](const nf::Shape& s) {
      return dt == DType::f32 ? nf::testing::random_tensor<float>(s, rng)
                              : nf::testing::random_tensor<double>(s, rng);
    };
    // Rows of 37 (lda 41) starting one element in: misaligned for float4.
    const Tensor a = make({45, 41}), b = make({40, 70});
    expect_matmul_matches(
        a, b, [](const Tensor& t) { return raw::slice(raw::slice(t, 1, 1, 38), 0, 2, 45); },
        [](const Tensor& t) { return raw::slice(raw::slice(t, 0, 3, 40), 1, 5, 68); }, tol(dt),
        std::string("sliced ") + nf::dtype_name(dt));
    // Transposed slices.
    expect_matmul_matches(
        a, b, [](const Tensor& t) { return raw::transpose(raw::slice(t, 0, 4, 44), 0, 1); },
        [](const Tensor& t) { return raw::transpose(raw::slice(t, 1, 0, 40), 0, 1); }, tol(dt),
        std::string("sliced transposed ") + nf::dtype_name(dt));
  }
}

TEST_P(CudaMatmul, BatchedWithBroadcastOperand) {
  std::mt19937_64 rng(13);
  for (DType dt : {DType::f32, DType::f64}) {
    auto make = [&](const nf::Shape& s) {
      return dt == DType::f32 ? nf::testing::random_tensor<float>(s, rng)
                              : nf::testing::random_tensor<double>(s, rng);
    };
    const Tensor a = make({5, 17, 33}), w = make({33, 9}), bt = make({5, 9, 33});
    // [5,17,33] x [33,9]: the second operand is shared by every batch item.
    expect_matmul_matches(a, w, same, same, tol(dt), std::string("broadcast ") + nf::dtype_name(dt));
    // [1,17,33] expanded to 5 items x per-item transposed [5,33,9].
    expect_matmul_matches(
        a, bt, [](const Tensor& t) { return raw::expand(raw::slice(t, 0, 2, 3), {5, 17, 33}); },
        swap_last, tol(dt), std::string("expanded x transposed ") + nf::dtype_name(dt));
    // 4-D batch [2,3,7,5] x [2,3,5,11].
    const Tensor x = make({2, 3, 7, 5}), y = make({2, 3, 5, 11});
    expect_matmul_matches(x, y, same, same, tol(dt), std::string("4-D ") + nf::dtype_name(dt));
  }
}

TEST_P(CudaMatmul, LargeSquareMatchesCpu) {
  std::mt19937_64 rng(14);
  const Tensor a = nf::testing::random_tensor<float>({515, 511}, rng);
  const Tensor b = nf::testing::random_tensor<float>({511, 517}, rng);
  expect_matmul_matches(a, b, same, same, tol(DType::f32), "515x511x517");
}

INSTANTIATE_TEST_SUITE_P(Impl, CudaMatmul,
                         ::testing::Values(GemmImpl::hand, GemmImpl::cublas, GemmImpl::cublas_tf32),
                         [](const auto& info) { return std::string(nf::cuda::gemm_impl_name(info.param)); });

}  // namespace
