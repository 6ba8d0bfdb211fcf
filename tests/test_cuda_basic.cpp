// CUDA backend basics: the allocator's size classes and the registration
// (checked on any machine), then, on a machine with a device, host <-> device
// round trips, the caching allocator, fill and strided copies against the CPU
// backend. Device cases skip themselves when cudaGetDeviceCount finds none.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "cuda/allocator.h"
#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/tensor_arg.h"
#include "tensor/factory.h"
#include "tensor/ops.h"

namespace {

using nf::Device;
using nf::DType;
using nf::Tensor;
namespace raw = nf::raw;

const Device kCuda = Device::cuda(0);

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

TEST(CudaAllocator, SizeClasses) {
  using A = nf::cuda::CachingAllocator;
  EXPECT_EQ(A::round_size(1), 512u);
  EXPECT_EQ(A::round_size(512), 512u);
  EXPECT_EQ(A::round_size(513), 1024u);
  EXPECT_EQ(A::round_size(size_t(1) << 20), size_t(1) << 20);
  EXPECT_EQ(A::round_size((size_t(1) << 20) + 1), size_t(2) << 20);
  EXPECT_EQ(A::round_size(size_t(3) << 20), size_t(4) << 20);
}

// Dim collapsing only reads strides, so it is checked on CPU tensors.
TEST(CudaTensorArg, CollapsesDimsJointly) {
  using nf::cuda::collapsed_args;
  auto dims = [](const nf::cuda::TensorArg& a) {
    return std::vector<int64_t>(a.sizes, a.sizes + a.ndim);
  };
  auto strides = [](const nf::cuda::TensorArg& a) {
    return std::vector<int64_t>(a.strides, a.strides + a.ndim);
  };
  Tensor x = nf::zeros({2, 3, 4});
  auto dense = collapsed_args(x.shape(), {&x}, "test");
  EXPECT_EQ(dims(dense[0]), (std::vector<int64_t>{24}));
  EXPECT_TRUE(nf::cuda::is_dense(dense[0]));

  // permute -> strides [1,12,4]; the last two dims still step as one.
  Tensor p = raw::permute(x, {2, 0, 1});
  Tensor out = nf::zeros({4, 2, 3});
  auto pair = collapsed_args(p.shape(), {&p, &out}, "test");
  EXPECT_EQ(dims(pair[0]), (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(strides(pair[0]), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(strides(pair[1]), (std::vector<int64_t>{6, 1}));

  // Broadcast (stride 0) and size-1 dims.
  Tensor row = raw::expand(nf::zeros({1, 1, 5}), {3, 1, 5});
  Tensor dst = nf::zeros({3, 1, 5});
  auto bc = collapsed_args(row.shape(), {&row, &dst}, "test");
  EXPECT_EQ(dims(bc[0]), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(strides(bc[0]), (std::vector<int64_t>{0, 1}));
  EXPECT_FALSE(nf::cuda::is_dense(bc[1]));  // the broadcast source keeps both dims
  EXPECT_EQ(strides(bc[1]), (std::vector<int64_t>{5, 1}));

  Tensor scalar = nf::zeros({});
  auto one = collapsed_args(scalar.shape(), {&scalar}, "test");
  EXPECT_TRUE(nf::cuda::is_dense(one[0]));
  EXPECT_EQ(dims(one[0]), (std::vector<int64_t>{1}));

  // 13 dims that cannot merge (reversed order) exceed the kernels' limit.
  Tensor big = nf::zeros(nf::Shape(13, 2));
  std::vector<int64_t> reversed(13);
  for (int64_t i = 0; i < 13; ++i) reversed[i] = 12 - i;
  Tensor rev = raw::permute(big, reversed);
  expect_error([&] { collapsed_args(rev.shape(), {&rev}, "cuda copy"); },
               "cuda copy: shape [2,2,2,2,2,2,2,2,2,2,2,2,2] has 13 dims");
}

// The backend is registered even though nothing references nf_cuda's
// registration object: without a device the error must come from the CUDA
// backend ("no CUDA device"), not from the registry ("no backend ... in this build").
TEST(CudaRegistration, BackendIsLinkedIn) {
  if (nf::cuda::device_count() > 0) GTEST_SKIP() << "a device is present; covered by CudaDevice";
  expect_error([] { Tensor::empty({4}, {DType::f32, kCuda}); }, "no CUDA device is available");
}

class CudaDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    if (nf::cuda::device_count() == 0)
      GTEST_SKIP() << "no CUDA device: " << nf::cuda::no_device_reason();
  }
};

template <typename T>
std::vector<T> iota_values(int64_t n) {
  std::vector<T> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<T>((i * 7) % 23);
  return v;
}

TEST_F(CudaDevice, RoundTripEveryDtype) {
  const int64_t n = 1003;  // odd, not a multiple of any block size
  auto f = iota_values<float>(n);
  EXPECT_EQ(raw::to_device(nf::from_vector(f, {n}), kCuda).to_vector<float>(), f);
  auto d = iota_values<double>(n);
  EXPECT_EQ(raw::to_device(nf::from_vector(d, {n}), kCuda).to_vector<double>(), d);
  auto l = iota_values<int64_t>(n);
  EXPECT_EQ(raw::to_device(nf::from_vector(l, {n}), kCuda).to_vector<int64_t>(), l);
  auto u = iota_values<uint8_t>(n);
  EXPECT_EQ(raw::to_device(nf::from_vector(u, {n}), kCuda).to_vector<uint8_t>(), u);
  Tensor gpu = raw::to_device(nf::from_vector(f, {17, 59}), kCuda);
  EXPECT_TRUE(gpu.device() == kCuda);
  EXPECT_EQ(gpu.shape(), (nf::Shape{17, 59}));
}

TEST_F(CudaDevice, AllocatorReusesFreedBlocks) {
  nf::cuda::CachingAllocator alloc(0);
  void* a = alloc.allocate(1000);
  alloc.deallocate(a);
  EXPECT_EQ(alloc.stats().cached_bytes, 1024u);
  void* b = alloc.allocate(900);  // same 1024-byte class
  EXPECT_EQ(a, b);
  EXPECT_EQ(alloc.stats().cache_hits, 1u);
  EXPECT_EQ(alloc.stats().device_mallocs, 1u);
  alloc.deallocate(b);
  alloc.empty_cache();
  EXPECT_EQ(alloc.stats().cached_bytes, 0u);
  EXPECT_EQ(alloc.stats().live_bytes, 0u);
  expect_error([&] { alloc.deallocate(b); }, "was not allocated");
}

TEST_F(CudaDevice, OutOfMemoryNamesBytesAndFreeTotal) {
  nf::cuda::CachingAllocator alloc(0);
  expect_error([&] { alloc.allocate(size_t(1) << 52); }, "out of memory on cuda:0 asking for");
  expect_error([&] { alloc.allocate(size_t(1) << 52); }, " free of ");
  void* p = alloc.allocate(4096);  // the device still works afterwards
  EXPECT_NE(p, nullptr);
  alloc.deallocate(p);
}

TEST_F(CudaDevice, FillDenseAndStrided) {
  for (DType dt : {DType::f32, DType::f64, DType::i64, DType::u8, DType::boolean}) {
    Tensor cpu = nf::zeros({37, 5}, {dt, Device::cpu()});
    Tensor gpu = raw::to_device(cpu, kCuda);
    raw::fill_(gpu, 3);
    raw::fill_(cpu, 3);
    EXPECT_EQ(gpu.to_vector<double>(), cpu.to_vector<double>()) << nf::dtype_name(dt);
    // A strided view: every other row, transposed; the rest must stay 3.
    raw::fill_(raw::transpose(raw::slice(gpu, 0, 1, 37, 2), 0, 1), 0);
    raw::fill_(raw::transpose(raw::slice(cpu, 0, 1, 37, 2), 0, 1), 0);
    EXPECT_EQ(gpu.to_vector<double>(), cpu.to_vector<double>()) << nf::dtype_name(dt);
  }
  Tensor scalar = nf::empty({}, {DType::f32, kCuda});
  raw::fill_(scalar, -1.5);
  EXPECT_EQ(scalar.item(), -1.5);
}

TEST_F(CudaDevice, StridedCopyMatchesCpu) {
  nf::Generator gen(7);
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor cpu = nf::randn({7, 13, 5}, {dt, Device::cpu()}, &gen);
    Tensor gpu = raw::to_device(cpu, kCuda);
    auto check = [&](Tensor (*view)(const Tensor&)) {
      Tensor want = raw::contiguous(view(cpu));
      Tensor got = raw::contiguous(view(gpu));
      EXPECT_TRUE(got.device() == kCuda);
      EXPECT_TRUE(got.is_contiguous());
      EXPECT_EQ(got.shape(), want.shape());
      EXPECT_EQ(got.to_vector<double>(), want.to_vector<double>()) << nf::dtype_name(dt);
    };
    check([](const Tensor& x) { return raw::permute(x, {2, 0, 1}); });
    check([](const Tensor& x) { return raw::transpose(x, 0, 2); });
    check([](const Tensor& x) { return raw::slice(raw::slice(x, 1, 2, 13, 3), 2, 1, 5, 2); });
    check([](const Tensor& x) { return raw::expand(raw::slice(x, 0, 3, 4), {4, 13, 5}); });
  }
}

TEST_F(CudaDevice, CopyCastsAndBroadcastsIntoViews) {
  // Every value converts to every dtype with defined behaviour (no negative u8).
  Tensor src = nf::from_vector(std::vector<float>{-0.5f, 0.f, 1.75f, 200.25f}, {4});
  Tensor gsrc = raw::to_device(src, kCuda);
  for (DType dt : {DType::f64, DType::i64, DType::u8, DType::boolean}) {
    EXPECT_EQ(raw::cast(gsrc, dt).to_vector<double>(), raw::cast(src, dt).to_vector<double>())
        << nf::dtype_name(dt);
  }
  // copy_ broadcasts a row into every other row of a transposed destination.
  Tensor cpu = nf::zeros({4, 6}, {DType::f64, Device::cpu()});
  Tensor gpu = raw::to_device(cpu, kCuda);
  auto into = [](const Tensor& t) { return raw::transpose(raw::slice(t, 1, 0, 6, 2), 0, 1); };
  raw::copy_(into(cpu), raw::unsqueeze(src, 0));
  raw::copy_(into(gpu), raw::unsqueeze(gsrc, 0));
  EXPECT_EQ(gpu.to_vector<double>(), cpu.to_vector<double>());
}

TEST_F(CudaDevice, BadIndexIsAClearError) {
  int n = nf::cuda::device_count();
  expect_error([&] { nf::cuda::cuda_backend(n); }, "no such device");
}

}  // namespace
