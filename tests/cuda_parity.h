// Shared helpers of the CUDA parity tests (tests/test_cuda_*.cpp): the
// skipping fixture, host <-> device moves, and value comparison against the
// CPU backend. Header-only; include from test files only.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cuda/device.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace nf_test {

inline const nf::Device kCuda = nf::Device::cuda(0);

// Skips every test of the fixture when no CUDA device is visible.
class CudaDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    if (nf::cuda::device_count() == 0)
      GTEST_SKIP() << "no CUDA device: " << nf::cuda::no_device_reason();
  }
};

inline nf::Tensor to_cuda(const nf::Tensor& t) { return nf::raw::to_device(t, kCuda); }

// Expects `fn` to throw nf::Error whose message contains `needle`.
template <typename Fn>
void expect_error(Fn&& fn, const std::string& needle) {
  try {
    fn();
    ADD_FAILURE() << "expected nf::Error containing \"" << needle << "\"";
  } catch (const nf::Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// got (any device) against want (CPU): same shape and dtype, and every value
// within atol + rtol * |want| (NaN matches NaN, an infinity only itself).
// rtol = atol = 0 asks for exact equality.
inline void expect_close(const nf::Tensor& got, const nf::Tensor& want, double rtol, double atol,
                         const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  int64_t reported = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double a = g[i], b = w[i];
    bool ok;
    if (std::isnan(b)) ok = std::isnan(a);
    else if (std::isinf(b)) ok = a == b;
    else ok = std::abs(a - b) <= atol + rtol * std::abs(b);
    if (!ok && reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << a << ", expected " << b;
  }
}

// Values with a few special ones mixed in: NaN, +-inf, +-0 and ties.
inline nf::Tensor special_values(nf::DType dtype) {
  const double inf = INFINITY;
  std::vector<double> v = {NAN, inf, -inf, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 1e-30, 3.0, 3.0};
  return nf::raw::cast(nf::from_vector(v, {int64_t(v.size())}), dtype);
}

}  // namespace nf_test
