// CPU max / avg pooling: forward and backward against the naive reference
// (kernel 2/3, stride 1/2, padding 0/1, odd sizes; f32 and f64), hand-checked
// count_include_pad=false divisors, -inf padding, NaN propagation, index
// layout, and errors through nf::raw.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include "cpu_kernel_check.h"
#include "tensor/cpu/cpu_backend.h"
#include "tensor/cpu/reference.h"
#include "tensor/ops.h"

namespace {

using namespace nf::testing;
using nf::PoolParams;
using nf::Shape;
using nf::Tensor;
namespace raw = nf::raw;

template <typename T>
class CpuPool : public ::testing::Test {};
TYPED_TEST_SUITE(CpuPool, FloatTypes);

PoolParams pool(int64_t k, int64_t s, int64_t pad) {
  PoolParams p;
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = s;
  p.pad_h = p.pad_w = pad;
  return p;
}

struct PoolCase {
  Shape x;
  PoolParams p;
};

std::string describe(const PoolCase& c) {
  std::ostringstream os;
  os << "x " << nf::shape_str(c.x) << " kernel (" << c.p.kernel_h << "," << c.p.kernel_w
     << ") stride (" << c.p.stride_h << "," << c.p.stride_w << ") pad (" << c.p.pad_h << ","
     << c.p.pad_w << ")";
  return os.str();
}

std::vector<PoolCase> cases() {
  std::vector<PoolCase> v;
  for (int64_t k : {2, 3, 5})
    for (int64_t s : {1, 2, 3})
      for (int64_t pad : {0, 1}) {
        v.push_back({{1, 2, 5, 7}, pool(k, s, pad)});
        v.push_back({{3, 3, 9, 6}, pool(k, s, pad)});
      }
  PoolParams mixed = pool(3, 2, 1);
  mixed.kernel_w = 2, mixed.stride_w = 1, mixed.pad_w = 0;
  v.push_back({{2, 3, 7, 5}, mixed});
  v.push_back({{16, 32, 16, 16}, pool(3, 1, 1)});  // enough planes for the parallel loop
  // DARTS cell shapes: odd planes wider than one vector (full vectors + tail).
  v.push_back({{2, 3, 7, 7}, pool(3, 1, 1)});
  v.push_back({{2, 3, 13, 29}, pool(3, 1, 1)});
  v.push_back({{1, 2, 11, 17}, pool(3, 2, 1)});
  v.push_back({{1, 2, 9, 19}, pool(5, 1, 2)});
  return v;
}

TYPED_TEST(CpuPool, MaxMatchesReference) {
  using T = TypeParam;
  std::mt19937_64 rng(29);
  for (const PoolCase& c : cases()) {
    const std::string what = describe(c);
    Tensor x = random_tensor<T>(c.x, rng);
    auto [out, idx] = raw::max_pool2d(x, c.p);
    Tensor out_ref = empty_of<T>(out.shape());
    Tensor idx_ref = Tensor::empty(out.shape(), {nf::DType::i64});
    nf::cpu::ref::max_pool2d_forward(x, c.p, out_ref, idx_ref);
    expect_equal(out, out_ref, "max forward " + what);
    expect_equal(idx, idx_ref, "max indices " + what);

    Tensor grad_out = random_tensor<T>(out.shape(), rng);
    Tensor gx = raw::max_pool2d_backward(grad_out, idx, x.shape());
    Tensor gx_ref = empty_of<T>(x.shape());
    nf::cpu::ref::max_pool2d_backward(grad_out, idx_ref, gx_ref);
    expect_close(gx, gx_ref, tolerance<T>(), "max backward " + what);
  }
}

TYPED_TEST(CpuPool, AvgMatchesReference) {
  using T = TypeParam;
  std::mt19937_64 rng(31);
  for (const PoolCase& c : cases()) {
    const std::string what = describe(c);
    Tensor x = random_tensor<T>(c.x, rng);
    Tensor out = raw::avg_pool2d(x, c.p);
    Tensor out_ref = empty_of<T>(out.shape());
    nf::cpu::ref::avg_pool2d_forward(x, c.p, out_ref);
    expect_close(out, out_ref, tolerance<T>(), "avg forward " + what);

    Tensor grad_out = random_tensor<T>(out.shape(), rng);
    Tensor gx = raw::avg_pool2d_backward(grad_out, x.shape(), c.p);
    Tensor gx_ref = empty_of<T>(x.shape());
    nf::cpu::ref::avg_pool2d_backward(grad_out, c.p, gx_ref);
    expect_close(gx, gx_ref, tolerance<T>(), "avg backward " + what);
  }
}

// count_include_pad = false: averaging ones gives ones everywhere, also at the
// borders where part of the window is padding; the backward pass spreads
// each output's gradient over the in-bounds taps only (corner: 1/4 each).
TYPED_TEST(CpuPool, AvgDivisorCountsOnlyInBoundsTaps) {
  using T = TypeParam;
  Tensor x = nf::ones({1, 1, 3, 3}, {nf::dtype_of<T>()});
  Tensor out = raw::avg_pool2d(x, pool(3, 2, 1));
  EXPECT_EQ(values(out), std::vector<double>(4, 1.0));
  Tensor gx = raw::avg_pool2d_backward(nf::ones({1, 1, 2, 2}, {nf::dtype_of<T>()}), x.shape(), pool(3, 2, 1));
  EXPECT_EQ(values(gx), (std::vector<double>{0.25, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 0.25}));
}

// Max padding is -inf: an all-negative input never yields a padded 0, and the
// indices are flat h*W+w positions inside each image plane.
TYPED_TEST(CpuPool, MaxPaddingIsMinusInfinityAndIndicesArePlaneOffsets) {
  using T = TypeParam;
  Tensor x = nf::from_vector<T>({-5, -4, -3, -9, -1, -8, -2, -7, -6, -9, -9, -9}, {1, 2, 2, 3});
  auto [out, idx] = raw::max_pool2d(x, pool(2, 2, 1));
  ASSERT_EQ(out.shape(), Shape({1, 2, 2, 2}));
  EXPECT_EQ(values(out), (std::vector<double>{-5, -3, -9, -1, -2, -6, -9, -9}));
  EXPECT_EQ(idx.template to_vector<int64_t>(), (std::vector<int64_t>{0, 2, 3, 4, 0, 2, 3, 4}));
  Tensor gx = raw::max_pool2d_backward(nf::ones({1, 2, 2, 2}, {nf::dtype_of<T>()}), idx, x.shape());
  EXPECT_EQ(values(gx), (std::vector<double>{1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0}));
}

TYPED_TEST(CpuPool, MaxPropagatesNaN) {
  using T = TypeParam;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  Tensor x = nf::from_vector<T>({1, nan, 3, 4}, {1, 1, 2, 2});
  auto [out, idx] = raw::max_pool2d(x, pool(2, 2, 0));
  EXPECT_TRUE(std::isnan(values(out)[0]));
  EXPECT_EQ(idx.template to_vector<int64_t>(), std::vector<int64_t>{1});
}

// Ties, -inf and NaN at odd sizes through the vectorised rows: the index is
// the first maximum in row-major window order, or the last NaN, as the reference.
TYPED_TEST(CpuPool, MaxTiesInfAndNaNMatchReference) {
  using T = TypeParam;
  const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  const T pick[] = {0, 1, -inf, nan, 1, 0, -inf};
  std::mt19937_64 rng(37);
  for (const PoolCase& c : {PoolCase{{2, 2, 9, 19}, pool(3, 1, 1)}, PoolCase{{1, 3, 7, 11}, pool(3, 2, 1)},
                            PoolCase{{1, 1, 6, 10}, pool(2, 1, 1)}}) {
    std::vector<T> v(size_t(c.x[0] * c.x[1] * c.x[2] * c.x[3]));
    for (T& e : v) e = pick[rng() % 7];
    Tensor x = nf::from_vector<T>(v, c.x);
    auto [out, idx] = raw::max_pool2d(x, c.p);
    Tensor out_ref = empty_of<T>(out.shape());
    Tensor idx_ref = Tensor::empty(out.shape(), {nf::DType::i64});
    nf::cpu::ref::max_pool2d_forward(x, c.p, out_ref, idx_ref);
    EXPECT_EQ(idx.template to_vector<int64_t>(), idx_ref.template to_vector<int64_t>()) << describe(c);
    const std::vector<double> got = values(out), want = values(out_ref);
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_TRUE(got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])))
          << describe(c) << " at " << i << ": " << got[i] << " vs " << want[i];
  }
}

TEST(CpuPoolErrors, NamesOpAndShapes) {
  expect_error([] { raw::max_pool2d(nf::zeros({2, 5, 5}), pool(2, 2, 0)); }, {"max_pool2d", "[2,5,5]"});
  expect_error([] { raw::avg_pool2d(nf::zeros({1, 1, 2, 2}), pool(3, 1, 0)); }, {"avg_pool2d", "[1,1,2,2]"});
  expect_error([] { raw::avg_pool2d(nf::zeros({1, 1, 5, 5}), pool(2, 2, 2)); }, {"avg_pool2d", "padding"});
  // Indices that max_pool2d could not have produced are refused, not scattered.
  Tensor bad = nf::from_vector<int64_t>({0, 99}, {1, 1, 1, 2});
  expect_error([&] { raw::max_pool2d_backward(nf::zeros({1, 1, 1, 2}), bad, {1, 1, 2, 4}); },
               {"max_pool2d_backward", "2x4"});
}

}  // namespace
