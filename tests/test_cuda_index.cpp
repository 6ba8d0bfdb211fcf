// CUDA indexing (index_select, gather, index_add, scatter_add) against the CPU
// backend: every dim, every dtype each op takes, repeated indices (atomic
// collisions), strided inputs, indices and outputs, the CPU's exact error for
// an index out of range, and gradients of index_select/gather through
// autograd. Skips itself without a device.
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
using nf::Shape;
using nf::Tensor;
using nf::UnaryOp;
using nf_test::expect_close;
using nf_test::kCuda;
using nf_test::to_cuda;
namespace raw = nf::raw;

class CudaIndex : public nf_test::CudaDevice {};

Tensor values(const Shape& shape, DType dt, nf::Generator& gen) {
  Tensor t = raw::unary(UnaryOp::mul_scalar, nf::randn(shape, {DType::f64}, &gen), 20.0);
  if (dt == DType::u8 || dt == DType::boolean) t = raw::unary(UnaryOp::abs, t);
  return raw::cast(t, dt);
}

// The message of the nf::Error fn throws ("" when it does not throw).
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const nf::Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(CudaIndex, IndexSelectMatchesCpu) {
  nf::Generator gen(31);
  for (DType dt : {DType::f32, DType::f64, DType::i64, DType::u8, DType::boolean}) {
    Tensor x = values({7, 33, 5}, dt, gen);
    Tensor gx = to_cuda(x);
    for (int64_t dim = 0; dim < 3; ++dim) {
      Tensor idx = nf::randint(x.size(dim), {19}, Device::cpu(), &gen);  // repeats
      const std::string what = std::string("index_select ") + nf::dtype_name(dt) + " dim " +
                               std::to_string(dim);
      expect_close(raw::index_select(gx, dim, to_cuda(idx)), raw::index_select(x, dim, idx), 0, 0,
                   what);
      // Transposed input and a strided (every other) index, straight to the
      // backends (the front end would make both contiguous).
      Tensor xt = raw::transpose(x, 0, 2), gt = raw::transpose(gx, 0, 2);
      Tensor idx2 = nf::randint(xt.size(dim), {21}, Device::cpu(), &gen);
      Tensor si = raw::slice(idx2, 0, 0, 21, 2), gsi = raw::slice(to_cuda(idx2), 0, 0, 21, 2);
      Shape os = xt.shape();
      os[dim] = 11;
      Tensor want = nf::empty(os, {dt}), got = nf::empty(os, {dt, kCuda});
      nf::backend_for(Device::cpu()).index_select(xt, dim, si, want);
      nf::backend_for(kCuda).index_select(gt, dim, gsi, got);
      expect_close(got, want, 0, 0, what + " strided");
    }
  }
}

TEST_F(CudaIndex, GatherMatchesCpu) {
  nf::Generator gen(32);
  for (DType dt : {DType::f32, DType::f64, DType::i64, DType::u8}) {
    Tensor x = values({9, 33}, dt, gen);
    Tensor gx = to_cuda(x);
    for (int64_t dim = 0; dim < 2; ++dim) {
      // Index smaller than x in the other dim, larger along dim.
      Shape ishape = dim == 0 ? Shape{13, 20} : Shape{6, 41};
      Tensor idx = nf::randint(x.size(dim), ishape, Device::cpu(), &gen);
      const std::string what = std::string("gather ") + nf::dtype_name(dt) + " dim " +
                               std::to_string(dim);
      expect_close(raw::gather(gx, dim, to_cuda(idx)), raw::gather(x, dim, idx), 0, 0, what);
      // Transposed index, input and output, straight to the backends.
      Tensor it = raw::transpose(raw::contiguous(raw::transpose(idx, 0, 1)), 0, 1);
      Tensor git = to_cuda(raw::contiguous(raw::transpose(idx, 0, 1)));
      git = raw::transpose(git, 0, 1);
      Tensor xt = raw::transpose(raw::contiguous(raw::transpose(x, 0, 1)), 0, 1);
      Tensor gxt = raw::transpose(to_cuda(raw::contiguous(raw::transpose(x, 0, 1))), 0, 1);
      Tensor want = raw::transpose(nf::empty({ishape[1], ishape[0]}, {dt}), 0, 1);
      Tensor got = raw::transpose(nf::empty({ishape[1], ishape[0]}, {dt, kCuda}), 0, 1);
      nf::backend_for(Device::cpu()).gather(xt, dim, it, want);
      nf::backend_for(kCuda).gather(gxt, dim, git, got);
      expect_close(got, want, 0, 0, what + " strided");
    }
  }
}

TEST_F(CudaIndex, IndexAddAndScatterAddMatchCpu) {
  nf::Generator gen(33);
  for (DType dt : {DType::f32, DType::f64, DType::i64}) {
    // Float additions into one element land in any order: rounding-level
    // differences (~40 terms of size ~20 per element).
    const double rtol = dt == DType::f32 ? 1e-5 : dt == DType::f64 ? 1e-12 : 0.0;
    const double atol = dt == DType::f32 ? 1e-3 : dt == DType::f64 ? 1e-10 : 0.0;
    for (int64_t dim = 0; dim < 2; ++dim) {
      const std::string what = std::string(nf::dtype_name(dt)) + " dim " + std::to_string(dim);
      // index_add: 257 source slices onto 5 targets (many collisions).
      Shape out_shape = dim == 0 ? Shape{5, 33} : Shape{33, 5};
      Shape src_shape = dim == 0 ? Shape{257, 33} : Shape{33, 257};
      Tensor out = values(out_shape, dt, gen);
      Tensor gout = to_cuda(out);
      Tensor src = values(src_shape, dt, gen);
      Tensor idx = nf::randint(5, {257}, Device::cpu(), &gen);
      raw::index_add_(out, dim, idx, src);
      raw::index_add_(gout, dim, to_cuda(idx), to_cuda(src));
      expect_close(gout, out, rtol, atol, "index_add " + what);

      // scatter_add through the front end, then into a transposed view of the
      // output straight through the backends (the front end wants it contiguous).
      Tensor dst = values({7, 33}, dt, gen);
      Tensor gdst = to_cuda(dst);
      Shape ishape = dim == 0 ? Shape{300, 33} : Shape{7, 300};
      Tensor sidx = nf::randint(dst.size(dim), ishape, Device::cpu(), &gen);
      Tensor ssrc = values(ishape, dt, gen);
      raw::scatter_add_(dst, dim, sidx, ssrc);
      raw::scatter_add_(gdst, dim, to_cuda(sidx), to_cuda(ssrc));
      expect_close(gdst, dst, rtol, atol, "scatter_add " + what);

      Tensor base = values({33, 7}, dt, gen);
      Tensor gbase = to_cuda(base);
      Tensor ot = raw::transpose(base, 0, 1), got = raw::transpose(gbase, 0, 1);  // [7, 33]
      nf::backend_for(Device::cpu()).scatter_add(ot, dim, sidx, ssrc);
      nf::backend_for(kCuda).scatter_add(got, dim, to_cuda(sidx), to_cuda(ssrc));
      expect_close(gbase, base, rtol, atol, "scatter_add strided " + what);
      // index_add into a transposed destination.
      Tensor ibase = values({out_shape[1], out_shape[0]}, dt, gen);
      Tensor gibase = to_cuda(ibase);
      Tensor io = raw::transpose(ibase, 0, 1), gio = raw::transpose(gibase, 0, 1);
      nf::backend_for(Device::cpu()).index_add(io, dim, idx, src);
      nf::backend_for(kCuda).index_add(gio, dim, to_cuda(idx), to_cuda(src));
      expect_close(gibase, ibase, rtol, atol, "index_add strided " + what);
    }
  }
}

TEST_F(CudaIndex, OutOfRangeIndexIsReportedAsOnCpu) {
  Tensor x = nf::zeros({4, 5});
  Tensor gx = to_cuda(x);
  // Two bad entries: the first in row-major order is reported.
  Tensor idx = nf::from_vector(std::vector<int64_t>{0, 1, 2, 3, 4, 1, 0, 9, 0, -1}, {2, 5});
  Tensor gidx = to_cuda(idx);
  const std::string want = error_of([&] { raw::gather(x, 1, idx); });
  ASSERT_NE(want.find("gather: index 9 at position [1,2] is out of range for dim 1 of size 5"),
            std::string::npos)
      << want;
  EXPECT_EQ(error_of([&] { raw::gather(gx, 1, gidx); }), want);

  Tensor sel = nf::from_vector(std::vector<int64_t>{3, -2, 7}, {3});
  EXPECT_EQ(error_of([&] { raw::index_select(gx, 0, to_cuda(sel)); }),
            error_of([&] { raw::index_select(x, 0, sel); }));
  Tensor src = nf::ones({3, 5});
  EXPECT_EQ(error_of([&] { raw::index_add_(gx, 0, to_cuda(sel), to_cuda(src)); }),
            error_of([&] { raw::index_add_(x, 0, sel, src); }));
  Tensor ssrc = nf::ones({2, 5});
  EXPECT_EQ(error_of([&] { raw::scatter_add_(gx, 1, gidx, to_cuda(ssrc)); }),
            error_of([&] { raw::scatter_add_(x, 1, idx, ssrc); }));
  // A strided index: the position is the view's, the value the viewed one.
  Tensor it = raw::transpose(idx, 0, 1);
  Tensor xt = nf::zeros({5, 5});
  EXPECT_EQ(error_of([&] { raw::gather(to_cuda(xt), 0, raw::transpose(gidx, 0, 1)); }),
            error_of([&] { raw::gather(xt, 0, it); }));
  // Nothing was written by the failed calls.
  EXPECT_EQ(gx.to_vector<float>(), x.to_vector<float>());
}

TEST_F(CudaIndex, GradientsMatchCpu) {
  nf::Generator gen(34);
  Tensor x0 = nf::randn({11, 6}, {DType::f64}, &gen);
  Tensor sel = nf::randint(11, {40}, Device::cpu(), &gen);  // repeats: accumulated gradient
  Tensor gi = nf::randint(6, {11, 9}, Device::cpu(), &gen);
  auto run = [&](Device dev) {
    Tensor x = raw::to_device(x0, dev);
    x.requires_grad_();
    Tensor a = nf::index_select(x, 0, raw::to_device(sel, dev));
    Tensor b = nf::gather(x, 1, raw::to_device(gi, dev));
    Tensor loss = nf::sum(nf::tanh(a) * 1.5) + nf::sum(b * b);
    loss.backward();
    return x.grad();
  };
  expect_close(run(kCuda), run(Device::cpu()), 1e-12, 1e-12, "dL/dx");
}

}  // namespace
