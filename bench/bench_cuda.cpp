// The CUDA backend on the device, every case timed with CUDA events on the
// backend's stream after one warm-up call (manual time: the device's time
// between two events around each call, so host launch overhead counts only
// where the device waits for it, as in a real run).
//   cuda/gemm_<impl>/N<n>            C = A B, n x n x n f32, impl = hand | cublas |
//                                    cublas_tf32 (cuda/gemm_select.h); GFLOP/s
//   cuda/<op>/n<n>                   add, mul (a, b -> out), relu (x -> out), sum,
//                                    max (all n elements -> one); memcpy = a
//                                    device-to-device cudaMemcpyAsync of n f32; GB/s
//                                    counts bytes read + written once each
//   cuda/sum_rows/R<r>_C<c>          row sums of [r, c]: the last-dim reduction; GB/s
//   cuda/conv2d_<pass>/C.._H.._k.._d.._g..   bench_conv.cpp's NAS shapes, batch 64
//                                    (g = C: depthwise); GFLOP/s
//   cuda/train/cnn_step_B128         bench_train.cpp's step on the device; items_per_second = images/s
//   cuda/supernet/o<o>_C<c>_L<l>_B<b>  bench_supernet.cpp's DARTS bilevel step; images/s
// Counters are computed from the event times (not Google Benchmark's rates).
// bench/peers/run_peers.py --group cuda runs the same cases in PyTorch CUDA.
// A case whose op the backend does not implement yet is skipped with its error;
// without a device the program says so and exits 0 (make bench runs it anywhere).
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "cuda/check.h"
#include "cuda/cuda_backend.h"
#include "cuda/device.h"
#include "cuda/gemm_select.h"
#include "nas/darts_search.h"
#include "nas/supernet_darts.h"
#include "nn/nn.h"
#include "tensor/factory.h"
#include "tensor/ops.h"
#include "tensor/random.h"
#include "tools/models.h"

namespace {

using nf::Device;
using nf::Tensor;
namespace raw = nf::raw;

const Device kDev = Device::cuda(0);

// Runs fn once (warm-up: allocations, cuBLAS handles, module load), then times
// every iteration between two events on the backend's stream. Returns the
// total device seconds of the timed iterations; skips the case on an nf::Error.
double time_on_device(benchmark::State& state, const std::function<void()>& fn) {
  double total = 0;
  cudaEvent_t start = nullptr, stop = nullptr;
  try {
    nf::cuda::CudaBackend& be = nf::cuda::cuda_backend(0);
    NF_CUDA_CHECK(cudaEventCreate(&start));
    NF_CUDA_CHECK(cudaEventCreate(&stop));
    fn();
    be.synchronize();
    for (auto _ : state) {
      NF_CUDA_CHECK(cudaEventRecord(start, be.stream()));
      fn();
      NF_CUDA_CHECK(cudaEventRecord(stop, be.stream()));
      NF_CUDA_CHECK(cudaEventSynchronize(stop));
      float ms = 0;
      NF_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
      state.SetIterationTime(double(ms) / 1e3);
      total += double(ms) / 1e3;
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  if (start) cudaEventDestroy(start);
  if (stop) cudaEventDestroy(stop);
  return total;
}

// Sets counter `name` = per_iteration * iterations / seconds (scaled).
void set_rate(benchmark::State& state, const char* name, double per_iteration, double seconds, double scale) {
  if (seconds > 0) state.counters[name] = per_iteration * double(state.iterations()) / seconds / scale;
}

Tensor randn_dev(const nf::Shape& shape, uint64_t seed) {
  nf::Generator gen(seed);
  return raw::to_device(nf::randn(shape, {}, &gen), kDev);  // random data, never zeros
}

// --- GEMM: hand-written vs cuBLAS ------------------------------------------------------

void gemm(benchmark::State& state, nf::cuda::GemmImpl impl, int64_t n) {
  const Tensor a = randn_dev({n, n}, 1), b = randn_dev({n, n}, 2);
  const nf::cuda::GemmImpl before = nf::cuda::gemm_impl();
  nf::cuda::set_gemm_impl(impl);
  const double s = time_on_device(state, [&] { benchmark::DoNotOptimize(raw::matmul(a, b).raw_data()); });
  nf::cuda::set_gemm_impl(before);
  set_rate(state, "GFLOP/s", 2.0 * double(n) * double(n) * double(n), s, 1e9);
}

// --- bandwidth: elementwise and reductions next to a device-to-device copy ---------------

enum class Mem { memcpy, add, mul, relu, sum, max };

void memory_op(benchmark::State& state, Mem op, int64_t n) {
  const Tensor a = randn_dev({n}, 3), b = randn_dev({n}, 4);
  const Tensor dst = nf::empty({n}, {nf::DType::f32, kDev});
  const double bytes = 4.0 * double(n);
  double moved = 0, s = 0;
  switch (op) {
    case Mem::memcpy:
      moved = 2 * bytes;
      s = time_on_device(state, [&] {
        NF_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), a.raw_data(), size_t(bytes), cudaMemcpyDeviceToDevice,
                                      nf::cuda::cuda_backend(0).stream()));
      });
      break;
    case Mem::add:
    case Mem::mul:
      moved = 3 * bytes;
      s = time_on_device(state, [&] {
        benchmark::DoNotOptimize((op == Mem::add ? raw::add(a, b) : raw::mul(a, b)).raw_data());
      });
      break;
    case Mem::relu:
      moved = 2 * bytes;
      s = time_on_device(state, [&] { benchmark::DoNotOptimize(raw::unary(nf::UnaryOp::relu, a).raw_data()); });
      break;
    case Mem::sum:
    case Mem::max:
      moved = bytes;
      s = time_on_device(state, [&] { benchmark::DoNotOptimize((op == Mem::sum ? raw::sum(a) : raw::max(a)).raw_data()); });
      break;
  }
  set_rate(state, "GB/s", moved, s, 1e9);
}

void sum_rows(benchmark::State& state, int64_t rows, int64_t cols) {
  const Tensor x = randn_dev({rows, cols}, 5);
  const double s = time_on_device(state, [&] { benchmark::DoNotOptimize(raw::sum(x, {1}).raw_data()); });
  set_rate(state, "GB/s", 4.0 * double(rows) * double(cols + 1), s, 1e9);
}

// --- convolutions at the NAS shapes (bench_conv.cpp's cases) --------------------------------

constexpr int64_t kConvBatch = 64;

struct ConvCase {
  int64_t channels, size, kernel, dilation, groups;
};

constexpr ConvCase kConvCases[] = {
    {16, 28, 3, 1, 1},  {16, 28, 5, 1, 1},  {16, 28, 3, 2, 1}, {16, 28, 3, 1, 16}, {16, 28, 5, 1, 16},
    {32, 14, 3, 1, 1},  {32, 14, 5, 1, 1},  {32, 14, 3, 2, 1}, {32, 14, 3, 1, 32}, {32, 14, 5, 1, 32},
};

enum class Pass { forward, backward_input, backward_weight };

void conv(benchmark::State& state, ConvCase c, Pass pass) {
  nf::ConvParams p;
  p.pad_h = p.pad_w = c.dilation * (c.kernel - 1) / 2;
  p.dilation_h = p.dilation_w = c.dilation;
  p.groups = c.groups;
  const nf::Shape x_shape{kConvBatch, c.channels, c.size, c.size};
  const nf::Shape w_shape{c.channels, c.channels / c.groups, c.kernel, c.kernel};
  const Tensor x = randn_dev(x_shape, 7), w = randn_dev(w_shape, 8), gy = randn_dev(x_shape, 9);
  const double s = time_on_device(state, [&] {
    Tensor r;
    switch (pass) {
      case Pass::forward: r = raw::conv2d(x, w, Tensor{}, p); break;
      case Pass::backward_input: r = raw::conv2d_backward_input(gy, w, x_shape, p); break;
      case Pass::backward_weight: r = raw::conv2d_backward_weight(gy, x, w_shape, p); break;
    }
    benchmark::DoNotOptimize(r.raw_data());
  });
  set_rate(state, "GFLOP/s",
           2.0 * kConvBatch * c.channels * c.size * c.size * (c.channels / c.groups) * c.kernel * c.kernel, s, 1e9);
}

// --- whole steps ------------------------------------------------------------------------------

constexpr int64_t kClasses = 10;

// bench_train.cpp's cnn step (SGD lr 0.01, momentum 0.9, weight decay 5e-4; loss read every step).
void train_step(benchmark::State& state, int64_t batch) {
  try {
    nf::manual_seed(0);
    auto net = nf::tools::make_model("cnn", {1, 28, 28}, kClasses);
    net->to(kDev);
    net->train();
    nf::optim::SGD opt(net->parameters(), {.lr = 0.01, .momentum = 0.9, .weight_decay = 5e-4});
    nf::Generator gen(3);
    const Tensor x = raw::to_device(nf::randn({batch, 1, 28, 28}, {}, &gen), kDev);
    const Tensor y = raw::to_device(nf::randint(kClasses, {batch}, Device::cpu(), &gen), kDev);
    const double s = time_on_device(state, [&] {
      opt.zero_grad();
      Tensor loss = nf::nn::cross_entropy(net->forward(x), y);
      benchmark::DoNotOptimize(loss.item());
      loss.backward();
      opt.step();
    });
    set_rate(state, "items_per_second", double(batch), s, 1.0);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

struct SupernetCase {
  int64_t order, channels, cells, batch;
};

// bench_supernet.cpp's configs, and the DARTS paper's search width (C 16, 8 cells).
constexpr SupernetCase kSupernetCases[] = {{1, 8, 5, 64}, {2, 8, 5, 64}, {1, 16, 8, 64}};

void supernet_step(benchmark::State& state, SupernetCase c) {
  try {
    nf::manual_seed(0);
    nf::nas::NetworkConfig cfg;
    cfg.image_shape = {1, 28, 28};
    cfg.num_classes = kClasses;
    cfg.channels = c.channels;
    cfg.cells = c.cells;
    auto net = std::make_shared<nf::nas::DartsSupernetImpl>(cfg);
    net->to(kDev);  // before the optimizers: their state follows the parameters
    net->train();
    nf::nas::DartsSearchOptions options;
    options.order = c.order;
    options.batch_size = c.batch;
    nf::nas::BilevelOptimizer opt(*net, options);
    nf::Generator gen(3);
    auto batch = [&] {
      return nf::data::Batch{raw::to_device(nf::randn({c.batch, 1, 28, 28}, {}, &gen), kDev),
                             raw::to_device(nf::randint(kClasses, {c.batch}, Device::cpu(), &gen), kDev)};
    };
    const nf::data::Batch train = batch(), val = batch();
    const double s = time_on_device(state, [&] { benchmark::DoNotOptimize(opt.step(train, val).train_loss); });
    set_rate(state, "items_per_second", double(c.batch), s, 1.0);
    int64_t weights = 0;
    for (const Tensor& w : opt.weights()) weights += w.numel();
    state.counters["weights"] = double(weights);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

template <class Fn, class... Args>
void add(const std::string& name, Fn fn, Args... args) {
  benchmark::RegisterBenchmark(name.c_str(), fn, args...)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  if (nf::cuda::device_count() == 0) {  // not an error: `make bench` runs every bench_* on any machine
    std::fprintf(stderr, "bench_cuda: skipped: no CUDA device (%s)\n", nf::cuda::no_device_reason().c_str());
    return 0;
  }
  using nf::cuda::GemmImpl;
  for (int64_t n : {1024, 2048, 4096, 8192})
    for (GemmImpl impl : {GemmImpl::hand, GemmImpl::cublas, GemmImpl::cublas_tf32})
      add(std::string("cuda/gemm_") + nf::cuda::gemm_impl_name(impl) + "/N" + std::to_string(n), gemm, impl, n);
  const std::pair<Mem, const char*> mems[] = {{Mem::memcpy, "memcpy"}, {Mem::add, "add"}, {Mem::mul, "mul"},
                                              {Mem::relu, "relu"},     {Mem::sum, "sum"}, {Mem::max, "max"}};
  for (int64_t n : {int64_t(1) << 24, int64_t(1) << 26})
    for (const auto& [op, name] : mems) add(std::string("cuda/") + name + "/n" + std::to_string(n), memory_op, op, n);
  add("cuda/sum_rows/R16384_C4096", sum_rows, int64_t(16384), int64_t(4096));
  const std::pair<Pass, const char*> passes[] = {{Pass::forward, "conv2d_forward"},
                                                 {Pass::backward_input, "conv2d_backward_input"},
                                                 {Pass::backward_weight, "conv2d_backward_weight"}};
  for (const auto& [pass, pass_name] : passes)
    for (const ConvCase& c : kConvCases)
      add(std::string("cuda/") + pass_name + "/C" + std::to_string(c.channels) + "_H" + std::to_string(c.size) +
              "_k" + std::to_string(c.kernel) + "_d" + std::to_string(c.dilation) + "_g" + std::to_string(c.groups),
          conv, c, pass);
  add("cuda/train/cnn_step_B128", train_step, int64_t(128));
  for (const SupernetCase& c : kSupernetCases)
    add("cuda/supernet/o" + std::to_string(c.order) + "_C" + std::to_string(c.channels) + "_L" +
            std::to_string(c.cells) + "_B" + std::to_string(c.batch),
        supernet_step, c);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
