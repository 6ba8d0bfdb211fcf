// CUDA random fills against the CPU backend's counter-based generator:
// uniform and bernoulli are bit-identical, normal is identical up to the last
// bits of the device's log/cos (see cuda/kernels/random.cu), for any offset,
// odd sizes and strided outputs, through the backend and the factories.
// Skips itself without a device.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cuda_parity.h"
#include "tensor/backend.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

using nf::Device;
using nf::DType;
using nf::RandomKind;
using nf::Shape;
using nf::Tensor;
using nf_test::expect_close;
using nf_test::kCuda;
using nf_test::to_cuda;
namespace raw = nf::raw;

class CudaRandom : public nf_test::CudaDevice {};

// normal: f32 equal but for a rare one-ulp rounding flip, f64 within a few
// ulp of the double draw; mean + std * z can cancel to near 0, where those
// ulp (~1e-16 absolute) are large relative to the result: hence an atol.
double rtol_for(RandomKind kind, DType dt) {
  if (kind != RandomKind::normal) return 0.0;
  return dt == DType::f32 ? 1.2e-7 : 1e-14;
}
double atol_for(RandomKind kind) { return kind == RandomKind::normal ? 1e-14 : 0.0; }

// Fills `shape` on both devices (optionally through a transposed view of it)
// with the same seed and offset and compares.
void check_fill(RandomKind kind, DType dt, const Shape& shape, bool transposed, uint64_t seed,
                uint64_t offset, double a, double b) {
  Tensor want = nf::zeros(shape, {dt});
  Tensor got = nf::zeros(shape, {dt, kCuda});
  Tensor w = transposed ? raw::transpose(want, 0, 1) : want;
  Tensor g = transposed ? raw::transpose(got, 0, 1) : got;
  nf::backend_for(Device::cpu()).random(kind, w, seed, offset, a, b);
  nf::backend_for(kCuda).random(kind, g, seed, offset, a, b);
  const std::string what = std::string("kind ") + std::to_string(int(kind)) + " " +
                           nf::dtype_name(dt) + " " + nf::shape_str(shape) +
                           (transposed ? " transposed" : "") + " offset " +
                           std::to_string(offset);
  expect_close(got, want, rtol_for(kind, dt), atol_for(kind), what);
}

TEST_F(CudaRandom, UniformAndNormalMatchCpu) {
  for (DType dt : {DType::f32, DType::f64}) {
    for (const Shape& shape : {Shape{1023}, Shape{7, 33}, Shape{257, 5}, Shape{}}) {
      for (uint64_t offset : {uint64_t(0), uint64_t(12345), (uint64_t(1) << 32) - 3}) {
        check_fill(RandomKind::uniform, dt, shape, false, 42, offset, -2.0, 3.0);
        check_fill(RandomKind::normal, dt, shape, false, 42, offset, 0.5, 2.0);
        if (shape.size() == 2) {
          check_fill(RandomKind::uniform, dt, shape, true, 7, offset, 0.0, 1.0);
          check_fill(RandomKind::normal, dt, shape, true, 7, offset, 0.0, 1.0);
        }
      }
    }
  }
}

TEST_F(CudaRandom, BernoulliMatchesCpuInEveryDtype) {
  for (DType dt : {DType::f32, DType::f64, DType::i64, DType::u8, DType::boolean}) {
    check_fill(RandomKind::bernoulli, dt, {1023}, false, 3, 99, 0.3, 0.0);
    check_fill(RandomKind::bernoulli, dt, {33, 7}, true, 3, 5, 0.7, 0.0);
  }
}

TEST_F(CudaRandom, UniformStaysBelowTheUpperBound) {
  // [1, 1 + one f32 ulp): most draws round to the bound in f32 and are clamped
  // to the value below it, exactly as on the CPU.
  const double hi = 1.0 + std::ldexp(1.0, -23);
  check_fill(RandomKind::uniform, DType::f32, {4097}, false, 1, 0, 1.0, hi);
  Tensor g = nf::empty({4097}, {DType::f32, kCuda});
  nf::backend_for(kCuda).random(RandomKind::uniform, g, 1, 0, 1.0, hi);
  for (float v : g.to_vector<float>()) ASSERT_EQ(v, 1.0f);
}

TEST_F(CudaRandom, FactoriesGiveTheCpuNumbers) {
  nf::Generator cpu_gen(2024), gpu_gen(2024);
  for (int round = 0; round < 3; ++round) {  // the generators advance in step
    expect_close(nf::rand({513}, {DType::f32, kCuda}, &gpu_gen),
                 nf::rand({513}, {DType::f32}, &cpu_gen), 0, 0, "rand");
    expect_close(nf::randn({17, 3}, {DType::f64, kCuda}, &gpu_gen),
                 nf::randn({17, 3}, {DType::f64}, &cpu_gen), 1e-14, 1e-15, "randn");
    expect_close(nf::bernoulli({100}, 0.25, {DType::f32, kCuda}, &gpu_gen),
                 nf::bernoulli({100}, 0.25, {DType::f32}, &cpu_gen), 0, 0, "bernoulli");
  }
  EXPECT_EQ(cpu_gen.offset(), gpu_gen.offset());
  // randint goes through uniform, mul_scalar, clamp_max and a cast: all exact.
  expect_close(nf::randint(10, {1000}, kCuda, &gpu_gen), nf::randint(10, {1000}, Device::cpu(),
                                                                     &cpu_gen),
               0, 0, "randint");
}

TEST_F(CudaRandom, StatisticsAreSane) {
  // A large draw on the device alone: mean and spread of N(1, 2) and U[0, 1).
  nf::Generator gen(9);
  Tensor n = nf::normal({1 << 20}, 1.0, 2.0, {DType::f32, kCuda}, &gen);
  EXPECT_NEAR(raw::mean(n).item(), 1.0, 0.01);
  Tensor centred = raw::unary(nf::UnaryOp::add_scalar, n, -1.0);
  EXPECT_NEAR(std::sqrt(raw::mean(raw::unary(nf::UnaryOp::square, centred)).item()), 2.0, 0.01);
  Tensor u = nf::rand({1 << 20}, {DType::f64, kCuda}, &gen);
  EXPECT_NEAR(raw::mean(u).item(), 0.5, 0.002);
  EXPECT_GE(raw::reduce(nf::ReduceOp::min, u, {}, false).item(), 0.0);
  EXPECT_LT(raw::max(u).item(), 1.0);
}

}  // namespace
