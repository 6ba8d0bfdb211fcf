// CUDA elementwise ops (unary, binary, where) against the CPU backend: every
// op, f32 and f64 (binary also i64), odd sizes (the vector path's scalar
// tail), misaligned dense views (the scalar path), transposes, strided slices
// and broadcasting (stride 0), special values (NaN, +-inf, +-0), mask and
// comparison outputs in every allowed dtype, the CPU's error messages, and
// gradients through autograd. Skips itself without a device.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "autograd/functions.h"
#include "cuda_parity.h"
#include "tensor/backend.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

using nf::BinaryOp;
using nf::Device;
using nf::DType;
using nf::Tensor;
using nf::UnaryOp;
using nf_test::expect_close;
using nf_test::expect_error;
using nf_test::kCuda;
using nf_test::to_cuda;
namespace raw = nf::raw;

class CudaElementwise : public nf_test::CudaDevice {};

const UnaryOp kUnaryOps[] = {
    UnaryOp::neg,        UnaryOp::exp,         UnaryOp::log,        UnaryOp::sqrt,
    UnaryOp::rsqrt,      UnaryOp::abs,         UnaryOp::sign,       UnaryOp::tanh,
    UnaryOp::sigmoid,    UnaryOp::relu,        UnaryOp::square,     UnaryOp::pow_scalar,
    UnaryOp::add_scalar, UnaryOp::mul_scalar,  UnaryOp::rsub_scalar, UnaryOp::gt_scalar,
    UnaryOp::relu_grad_mask, UnaryOp::clamp_min, UnaryOp::clamp_max, UnaryOp::is_nonfinite};

const BinaryOp kBinaryOps[] = {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div,
                               BinaryOp::pow, BinaryOp::maximum, BinaryOp::minimum, BinaryOp::eq,
                               BinaryOp::ne, BinaryOp::lt, BinaryOp::le, BinaryOp::gt,
                               BinaryOp::ge};

// CUDA's transcendentals are within 1-4 ulp (powf: 4), glibc's within 1;
// everything else (sqrt and division included) is correctly rounded: exact.
double transcendental_rtol(DType dt) { return dt == DType::f32 ? 1e-6 : 2e-15; }

double unary_rtol(UnaryOp op, DType dt) {
  switch (op) {
    case UnaryOp::exp: case UnaryOp::log: case UnaryOp::tanh: case UnaryOp::sigmoid:
    case UnaryOp::pow_scalar:
      return transcendental_rtol(dt);
    default: return 0.0;
  }
}

// The views a unary input is tested on, each from a fresh CPU tensor and its copy.
struct Case {
  std::string name;
  Tensor cpu, gpu;
};

std::vector<Case> unary_inputs(DType dt, nf::Generator& gen) {
  std::vector<Case> cases;
  auto add = [&](const std::string& name, const Tensor& base, Tensor (*view)(const Tensor&)) {
    Tensor g = to_cuda(base);
    cases.push_back({name, view(base), view(g)});
  };
  auto same = [](const Tensor& t) { return t; };
  add("dense 1023", nf::randn({1023}, {dt}, &gen), same);
  add("dense 7", nf::randn({7}, {dt}, &gen), same);
  // Starts one element in: dense but not 16-byte aligned.
  add("misaligned 257", nf::randn({258}, {dt}, &gen),
      [](const Tensor& t) { return raw::slice(t, 0, 1, 258); });
  add("transposed 33x7", nf::randn({7, 33}, {dt}, &gen),
      [](const Tensor& t) { return raw::transpose(t, 0, 1); });
  add("strided slice", nf::randn({9, 33, 5}, {dt}, &gen),
      [](const Tensor& t) { return raw::slice(raw::slice(t, 1, 1, 33, 3), 2, 0, 5, 2); });
  add("broadcast", nf::randn({1, 33}, {dt}, &gen),
      [](const Tensor& t) { return raw::expand(t, {7, 33}); });
  add("special", nf_test::special_values(dt), same);
  return cases;
}

TEST_F(CudaElementwise, EveryUnaryOpMatchesCpu) {
  nf::Generator gen(11);
  for (DType dt : {DType::f32, DType::f64}) {
    for (const Case& c : unary_inputs(dt, gen)) {
      for (UnaryOp op : kUnaryOps) {
        for (double alpha : {0.5, 2.0, -1.25}) {
          const std::string what = std::string(nf::dtype_name(dt)) + " op " +
                                   std::to_string(int(op)) + " alpha " + std::to_string(alpha) +
                                   " on " + c.name;
          Tensor want = raw::unary(op, c.cpu, alpha);
          Tensor got = raw::unary(op, c.gpu, alpha);
          EXPECT_TRUE(got.device() == kCuda);
          expect_close(got, want, unary_rtol(op, dt), 0.0, what);
        }
      }
    }
  }
}

TEST_F(CudaElementwise, MaskOpsWriteEveryDtype) {
  nf::Generator gen(12);
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = raw::cat({nf::randn({101}, {dt}, &gen), nf_test::special_values(dt)}, 0);
    Tensor gx = to_cuda(x);
    for (UnaryOp op : {UnaryOp::gt_scalar, UnaryOp::relu_grad_mask, UnaryOp::is_nonfinite}) {
      for (DType od : {DType::f32, DType::f64, DType::i64, DType::u8, DType::boolean}) {
        Tensor want = nf::empty(x.shape(), {od});
        Tensor got = nf::empty(x.shape(), {od, kCuda});
        // alpha 0.1 is not an f32 value: the comparison must happen in double.
        nf::backend_for(Device::cpu()).unary(op, x, want, 0.1);
        nf::backend_for(kCuda).unary(op, gx, got, 0.1);
        expect_close(got, want, 0, 0, std::string("mask op ") + std::to_string(int(op)) + " -> " +
                                          nf::dtype_name(od));
      }
    }
  }
  // Into a strided (transposed) output.
  Tensor x = nf::randn({5, 9}, {DType::f32}, &gen);
  Tensor want = nf::empty({9, 5}, {DType::u8});
  Tensor got = nf::empty({9, 5}, {DType::u8, kCuda});
  Tensor want_t = raw::transpose(want, 0, 1), got_t = raw::transpose(got, 0, 1);
  nf::backend_for(Device::cpu()).unary(UnaryOp::gt_scalar, x, want_t, 0.0);
  nf::backend_for(kCuda).unary(UnaryOp::gt_scalar, to_cuda(x), got_t, 0.0);
  expect_close(got, want, 0, 0, "transposed mask output");
}

// Pairs (a, b) of one dtype and shape [rows, cols]-ish with layouts to test.
std::vector<std::pair<Case, Case>> binary_inputs(DType dt, nf::Generator& gen) {
  auto make = [&](const nf::Shape& s) {
    Tensor t = nf::randn(s, {DType::f64}, &gen);
    if (dt == DType::i64) t = raw::unary(UnaryOp::mul_scalar, t, 5.0);  // small integers, ties
    return raw::cast(t, dt);
  };
  std::vector<std::pair<Case, Case>> pairs;
  auto add = [&](const std::string& name, const Tensor& a, const Tensor& b) {
    pairs.push_back({{name, a, to_cuda(a)}, {name, b, to_cuda(b)}});
  };
  add("dense 1023", make({1023}), make({1023}));
  add("row broadcast 7x33 + 33", make({7, 33}), make({33}));
  add("column broadcast 7x33 + 7x1", make({7, 33}), make({7, 1}));
  add("outer 7x1 + 1x33", make({7, 1}), make({1, 33}));
  add("scalar 0-d", make({257}), make({}));
  Tensor big = make({34, 7});
  pairs.push_back({{"transposed", raw::transpose(big, 0, 1), raw::transpose(to_cuda(big), 0, 1)},
                   {"transposed", make({7, 34}), Tensor{}}});
  pairs.back().second.gpu = to_cuda(pairs.back().second.cpu);
  Tensor wide = make({258});
  pairs.push_back({{"misaligned", raw::slice(wide, 0, 1, 258), raw::slice(to_cuda(wide), 0, 1, 258)},
                   {"misaligned", make({257}), Tensor{}}});
  pairs.back().second.gpu = to_cuda(pairs.back().second.cpu);
  Tensor s = nf_test::special_values(dt == DType::i64 ? DType::f64 : dt);
  if (dt != DType::i64) {
    Tensor r = raw::contiguous(raw::slice(raw::cat({s, s}, 0), 0, 5, 5 + s.numel()));
    add("special", s, r);  // NaN against numbers, infinities against each other
  }
  return pairs;
}

TEST_F(CudaElementwise, EveryBinaryOpMatchesCpu) {
  nf::Generator gen(13);
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    for (auto& [a, b] : binary_inputs(dt, gen)) {
      for (BinaryOp op : kBinaryOps) {
        if (dt == DType::i64 && (op == BinaryOp::div || op == BinaryOp::pow)) continue;
        const std::string what = std::string(nf::dtype_name(dt)) + " op " +
                                 std::to_string(int(op)) + " on " + a.name;
        const double rtol = op == BinaryOp::pow ? transcendental_rtol(dt) : 0.0;
        expect_close(raw::binary(op, a.gpu, b.gpu), raw::binary(op, a.cpu, b.cpu), rtol, 0.0, what);
      }
    }
  }
}

TEST_F(CudaElementwise, ComparisonsWriteBoolU8OrInputDtype) {
  nf::Generator gen(14);
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    Tensor a = raw::cast(raw::unary(UnaryOp::mul_scalar, nf::randn({7, 33}, {DType::f64}, &gen), 3), dt);
    Tensor b = raw::cast(raw::unary(UnaryOp::mul_scalar, nf::randn({33}, {DType::f64}, &gen), 3), dt);
    Tensor ab = raw::expand(b, {7, 33});
    for (BinaryOp op : {BinaryOp::eq, BinaryOp::ne, BinaryOp::lt, BinaryOp::le, BinaryOp::gt,
                        BinaryOp::ge}) {
      for (DType od : {DType::boolean, DType::u8, dt}) {
        Tensor want = nf::empty({7, 33}, {od});
        Tensor got = nf::empty({7, 33}, {od, kCuda});
        nf::backend_for(Device::cpu()).binary(op, a, ab, want);
        nf::backend_for(kCuda).binary(op, to_cuda(a), raw::expand(to_cuda(b), {7, 33}), got);
        expect_close(got, want, 0, 0, std::string("compare ") + std::to_string(int(op)) + " " +
                                          nf::dtype_name(dt) + " -> " + nf::dtype_name(od));
      }
    }
  }
}

TEST_F(CudaElementwise, WhereMatchesCpuForEveryDtype) {
  nf::Generator gen(15);
  Tensor cond = raw::binary(BinaryOp::gt, nf::randn({7, 33}, {}, &gen), nf::zeros({}));
  for (DType dt : {DType::f32, DType::f64, DType::i64, DType::u8, DType::boolean}) {
    Tensor a = raw::cast(raw::unary(UnaryOp::mul_scalar, nf::rand({7, 33}, {DType::f64}, &gen), 9), dt);
    Tensor b = raw::cast(raw::unary(UnaryOp::mul_scalar, nf::rand({33}, {DType::f64}, &gen), 9), dt);
    for (DType cd : {DType::boolean, DType::u8}) {
      Tensor c = raw::cast(cond, cd);
      expect_close(raw::where(to_cuda(c), to_cuda(a), to_cuda(b)), raw::where(c, a, b), 0, 0,
                   std::string("where ") + nf::dtype_name(dt) + " cond " + nf::dtype_name(cd));
      // Transposed condition and operands.
      Tensor ct = raw::transpose(raw::contiguous(raw::transpose(c, 0, 1)), 0, 1);
      expect_close(raw::where(to_cuda(ct), to_cuda(a), to_cuda(b)), raw::where(ct, a, b), 0, 0,
                   std::string("where strided ") + nf::dtype_name(dt));
    }
  }
  // Dense and aligned for the vector path: sizes 1023 and 16 * 64.
  for (int64_t n : {1023, 1024}) {
    Tensor c = raw::binary(BinaryOp::gt, nf::randn({n}, {}, &gen), nf::zeros({}));
    Tensor a = nf::randn({n}, {DType::f64}, &gen), b = nf::randn({n}, {DType::f64}, &gen);
    expect_close(raw::where(to_cuda(c), to_cuda(a), to_cuda(b)), raw::where(c, a, b), 0, 0,
                 "where dense " + std::to_string(n));
  }
}

TEST_F(CudaElementwise, InPlaceIntoAView) {
  // raw::add_ writes through a strided destination that is also an input.
  nf::Generator gen(16);
  Tensor cpu = nf::randn({9, 33}, {}, &gen);
  Tensor gpu = to_cuda(cpu);
  Tensor src = nf::randn({33, 9}, {}, &gen);
  raw::add_(raw::transpose(cpu, 0, 1), src, 0.5);
  raw::add_(raw::transpose(gpu, 0, 1), to_cuda(src), 0.5);
  expect_close(gpu, cpu, 1e-7, 1e-7, "add_ into a transposed view");
}

TEST_F(CudaElementwise, ErrorsMatchCpu) {
  Tensor i = to_cuda(nf::arange(5));
  expect_error([&] { raw::unary(UnaryOp::exp, i); }, "exp: expected a floating dtype (f32 or f64), got i64");
  expect_error([&] { raw::binary(BinaryOp::div, i, i); }, "binary div: unsupported for dtype i64");
  Tensor u = to_cuda(raw::cast(nf::arange(5), DType::u8));
  expect_error([&] { raw::binary(BinaryOp::add, u, u); }, "binary add: unsupported dtype u8");
  Tensor f = to_cuda(nf::zeros({5}));
  Tensor bad = nf::empty({5}, {DType::i64, kCuda});
  expect_error([&] { nf::backend_for(kCuda).binary(BinaryOp::lt, f, f, bad); },
               "binary lt: output dtype must be bool, u8 or f32, got i64");
  expect_error([&] { raw::where(f, f, f); }, "where: condition must be bool or u8, got f32");
}

// The same small graph on CPU and CUDA: every elementwise op with a backward.
TEST_F(CudaElementwise, GradientsMatchCpu) {
  nf::Generator gen(17);
  Tensor x0 = nf::randn({7, 33}, {DType::f64}, &gen);
  Tensor b0 = nf::randn({33}, {DType::f64}, &gen);
  auto run = [&](Device dev) {
    Tensor x = raw::to_device(x0, dev), b = raw::to_device(b0, dev);
    x.requires_grad_();
    b.requires_grad_();
    Tensor h = nf::tanh(x * b + 0.5) - nf::sigmoid(x / (nf::abs(b) + 1.0));
    Tensor r = nf::relu(h) + nf::exp(nf::neg(x * x)) + nf::sqrt(nf::abs(x) + 1.0) +
               nf::log(nf::abs(b) + 2.0) + nf::pow(nf::abs(x) + 1.0, 1.5);
    Tensor w = nf::where(raw::to_device(raw::binary(BinaryOp::gt, x0, nf::zeros({}, {DType::f64})), dev),
                         r, 2.0 - r);
    nf::sum(w).backward();
    return std::pair{x.grad(), b.grad()};
  };
  auto [gx_cpu, gb_cpu] = run(Device::cpu());
  auto [gx_gpu, gb_gpu] = run(kCuda);
  expect_close(gx_gpu, gx_cpu, 1e-12, 1e-12, "dL/dx");
  expect_close(gb_gpu, gb_cpu, 1e-12, 1e-12, "dL/db");
}

}  // namespace
