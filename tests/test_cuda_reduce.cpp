// CUDA reductions against the CPU backend: sum, mean, max, min over many dim
// sets and argmax over each dim, f32/f64/i64, on every kernel path (warp per
// row, block per row, split rows, columns, split columns), transposed and
// sliced inputs, NaN and tie rules, empty reductions, the CPU's error
// messages, and gradients of sum/mean/max through autograd. Skips itself
// without a device.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "autograd/functions.h"
#include "cuda_parity.h"
#include "tensor/backend.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

using nf::Device;
using nf::DType;
using nf::ReduceOp;
using nf::Shape;
using nf::Tensor;
using nf::UnaryOp;
using nf_test::expect_close;
using nf_test::expect_error;
using nf_test::kCuda;
using nf_test::to_cuda;
namespace raw = nf::raw;

class CudaReduce : public nf_test::CudaDevice {};

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string s = "{";
  for (int64_t d : dims) s += std::to_string(d) + ",";
  return s + "}";
}

// Random values of dtype dt; i64 (and `ties`) draw from a few small integers so
// that maxima repeat.
Tensor values(const Shape& shape, DType dt, bool ties, nf::Generator& gen) {
  Tensor t = nf::randn(shape, {DType::f64}, &gen);
  if (ties || dt == DType::i64) t = raw::cast(raw::unary(UnaryOp::mul_scalar, t, 2.0), DType::i64);
  return raw::cast(t, dt);
}

// Sum/mean are added in another order than on the CPU (both in double): f64
// results differ by rounding (absolute ~1e-13 for these sizes), f32 results by
// at most an ulp after the final rounding. max/min/argmax and i64 are exact.
double rtol_for(ReduceOp op, DType dt) {
  if (op != ReduceOp::sum && op != ReduceOp::mean) return 0.0;
  return dt == DType::f32 ? 1e-6 : dt == DType::f64 ? 1e-12 : 0.0;
}
double atol_for(ReduceOp op, DType dt) {
  if (op != ReduceOp::sum && op != ReduceOp::mean) return 0.0;
  return dt == DType::f32 ? 1e-6 : dt == DType::f64 ? 1e-10 : 0.0;
}

void check_all_ops(const Tensor& cpu, const Tensor& gpu, const std::vector<int64_t>& dims,
                   const std::string& what) {
  for (ReduceOp op : {ReduceOp::sum, ReduceOp::mean, ReduceOp::max, ReduceOp::min}) {
    if (op == ReduceOp::mean && cpu.dtype() == DType::i64) continue;
    const std::string w = what + " op " + std::to_string(int(op)) + " dims " + dims_str(dims) +
                          " " + nf::dtype_name(cpu.dtype());
    expect_close(raw::reduce(op, gpu, dims, true), raw::reduce(op, cpu, dims, true),
                 rtol_for(op, cpu.dtype()), atol_for(op, cpu.dtype()), w);
  }
}

struct Layout {
  std::string name;
  Shape shape;
  std::vector<std::vector<int64_t>> dims;
};

TEST_F(CudaReduce, EveryPathMatchesCpu) {
  nf::Generator gen(21);
  const std::vector<Layout> layouts = {
      {"vector 1023", {1023}, {{}, {0}}},
      {"full sum split", {300007}, {{0}}},                         // rows_block, many chunks
      {"rows 7x33", {7, 33}, {{1}, {0}, {}, {0, 1}}},              // warp rows / columns
      {"long rows 33x1025", {33, 1025}, {{1}}},                    // block per row
      {"column sums 4099x33", {4099, 33}, {{0}}},                  // split columns
      {"channels 5x7x9x3", {5, 7, 9, 3}, {{0, 2, 3}, {1}, {0, 3}, {2}, {1, 2}}},
      {"scalar", {}, {{}}},
      {"ones 1x1x5", {1, 1, 5}, {{0}, {2}, {0, 1}}},
  };
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    for (const Layout& l : layouts) {
      Tensor x = values(l.shape, dt, false, gen);
      Tensor gx = to_cuda(x);
      for (const auto& dims : l.dims) check_all_ops(x, gx, dims, l.name);
    }
  }
}

TEST_F(CudaReduce, StridedInputsMatchCpu) {
  nf::Generator gen(22);
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    Tensor base = values({33, 7}, dt, false, gen);
    Tensor gbase = to_cuda(base);
    // Transposed: dim 1 is now the outer one in memory (columns order).
    for (const auto& dims : std::vector<std::vector<int64_t>>{{0}, {1}, {}})
      check_all_ops(raw::transpose(base, 0, 1), raw::transpose(gbase, 0, 1), dims, "transposed");
    Tensor big = values({9, 40, 6}, dt, false, gen);
    Tensor gbig = to_cuda(big);
    auto view = [](const Tensor& t) {
      return raw::permute(raw::slice(raw::slice(t, 1, 3, 40, 3), 2, 1, 6, 2), {2, 0, 1});
    };
    for (const auto& dims : std::vector<std::vector<int64_t>>{{0}, {1}, {2}, {0, 2}, {}})
      check_all_ops(view(big), view(gbig), dims, "sliced permuted");
    // Broadcast input (stride 0 along the reduced dim).
    Tensor row = values({1, 65}, dt, false, gen);
    check_all_ops(raw::expand(row, {601, 65}), raw::expand(to_cuda(row), {601, 65}), {0},
                  "broadcast");
  }
}

TEST_F(CudaReduce, ArgmaxFirstMaximumAndFirstNan) {
  nf::Generator gen(23);
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    // Warp rows, columns, block rows, split rows, split columns, 3-d.
    for (const Shape& shape : {Shape{7, 33}, Shape{700, 3}, Shape{3, 2049}, Shape{2, 20000},
                               Shape{20000, 3}, Shape{5, 7, 9}}) {
      Tensor x = values(shape, dt, true, gen);  // many ties
      Tensor gx = to_cuda(x);
      for (int64_t d = 0; d < int64_t(shape.size()); ++d) {
        expect_close(raw::argmax(gx, d, true), raw::argmax(x, d, true), 0, 0,
                     std::string("argmax ") + nf::dtype_name(dt) + " dim " + std::to_string(d));
        Tensor xt = raw::transpose(x, 0, int64_t(shape.size()) - 1);
        Tensor gt = raw::transpose(gx, 0, int64_t(shape.size()) - 1);
        expect_close(raw::argmax(gt, d, true), raw::argmax(xt, d, true), 0, 0,
                     std::string("argmax transposed ") + nf::dtype_name(dt));
      }
    }
  }
  // NaN: the first NaN wins over any value, even +inf; max/min are NaN.
  for (DType dt : {DType::f32, DType::f64}) {
    std::vector<double> v(3000, 1.0);
    v[5] = INFINITY;
    v[1700] = NAN;
    v[2500] = NAN;
    Tensor x = raw::cast(nf::from_vector(v, {3, 1000}), dt);
    Tensor gx = to_cuda(x);
    EXPECT_EQ(raw::argmax(gx, 1).to_vector<int64_t>(), (std::vector<int64_t>{5, 700, 500}));
    expect_close(raw::argmax(gx, 1), raw::argmax(x, 1), 0, 0, "argmax with NaN");
    expect_close(raw::argmax(raw::view(gx, {3000}), 0), raw::argmax(raw::view(x, {3000}), 0), 0,
                 0, "argmax flat with NaN");
    check_all_ops(x, gx, {1}, "NaN rows");
    check_all_ops(x, gx, {0}, "NaN columns");
    check_all_ops(x, gx, {}, "NaN all");
  }
}

TEST_F(CudaReduce, EmptyReductionsAndErrors) {
  // Sum over an empty dim is 0, mean 0/0 = NaN (as on the CPU).
  for (ReduceOp op : {ReduceOp::sum, ReduceOp::mean}) {
    Tensor x = nf::empty({0, 5}, {DType::f32});
    Tensor want = nf::empty({1, 5}, {DType::f32});
    Tensor got = nf::empty({1, 5}, {DType::f32, kCuda});
    nf::backend_for(Device::cpu()).reduce(op, x, {0}, want);
    nf::backend_for(kCuda).reduce(op, to_cuda(x), {0}, got);
    expect_close(got, want, 0, 0, "empty reduction");
  }
  Tensor i = to_cuda(nf::arange(6));
  expect_error([&] { raw::mean(i); }, "mean");
  Tensor f = to_cuda(nf::zeros({2, 3}));
  Tensor bad = nf::empty({2, 1}, {DType::f64, kCuda});
  expect_error([&] { nf::backend_for(kCuda).reduce(ReduceOp::sum, f, {1}, bad); },
               "sum: output dtype f64 differs from input dtype f32");
  Tensor wrong = nf::empty({2, 3}, {DType::f32, kCuda});
  expect_error([&] { nf::backend_for(kCuda).reduce(ReduceOp::max, f, {1}, wrong); },
               "max: output must be contiguous [2,1] for input [2,3], got [2,3]");
  Tensor out = nf::empty({1, 1}, {DType::i64, kCuda});
  expect_error([&] { nf::backend_for(kCuda).reduce(ReduceOp::argmax, f, {0, 1}, out); },
               "argmax: reduces exactly one dim, got 2");
}

TEST_F(CudaReduce, GradientsMatchCpu) {
  nf::Generator gen(24);
  Tensor x0 = nf::randn({6, 35, 4}, {DType::f64}, &gen);
  Tensor w0 = nf::randn({35, 1}, {DType::f64}, &gen);
  auto run = [&](Device dev) {
    Tensor x = raw::to_device(x0, dev), w = raw::to_device(w0, dev);
    x.requires_grad_();
    w.requires_grad_();
    Tensor y = x * w;  // w's gradient sums over dims 0 and 2 (sum_to)
    Tensor loss = nf::sum(nf::mean(y, {2}) * 0.5) + nf::sum(nf::max(y, {1})) +
                  nf::sum(nf::sum(y, {0, 2}, true) * w);
    loss.backward();
    return std::pair{x.grad(), w.grad()};
  };
  auto [gx_cpu, gw_cpu] = run(Device::cpu());
  auto [gx_gpu, gw_gpu] = run(kCuda);
  expect_close(gx_gpu, gx_cpu, 1e-12, 1e-12, "dL/dx");
  expect_close(gw_gpu, gw_cpu, 1e-12, 1e-12, "dL/dw");
}

}  // namespace
